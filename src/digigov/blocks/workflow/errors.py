from django.utils.translation import gettext_lazy as _

from digigov.platform.errors import Conflict


class TaskTaken(Conflict):
    code = "task_taken"
    default_message = _("Another officer is already working on this task.")


class TaskClosed(Conflict):
    code = "task_closed"
    default_message = _("This task is already done.")


class NotAutomatic(Conflict):
    code = "not_automatic"
    default_message = _("Only an automatic approval can be reversed here.")
