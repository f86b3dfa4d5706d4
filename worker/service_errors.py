"""The one base of the errors a task meets when a service it depends on fails.

Jira (worker/jira/errors.py), the entitlement source, the config (no usable one) and the chat
raise subclasses of `ServiceError`. A task turns one into a retry with a countdown
(worker/task_base.py), or, when retrying cannot help (Jira refused the call: no countdown), a
counted failure; never into a request marked not entitled, nor into the "unexpected failure"
that an odd shape or a bug is recorded as. Imports nothing, so that every layer can raise it.
"""


class ServiceError(Exception):
    """A service a task depends on failed; worker/retrying.py `countdown_for` says when to try again."""
