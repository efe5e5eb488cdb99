"""The platform's standard message templates (English). Agencies may edit them in the database; the
loader only creates missing ones. Placeholders use Django template syntax and are filled per message."""

from django.utils.translation import gettext_noop as _

TEMPLATES = {
    "application-received": (
        _("We have received your application {{ reference }}"),
        _("Dear {{ name }},\n\nThank you. {{ agency }} has received your application for {{ service }}.\n"
          "Your reference number is {{ reference }}. We will tell you as soon as it has been decided.\n\n"
          "Follow its progress: {{ link }}\n"),
    ),
    "more-info-needed": (
        _("We need more information for {{ reference }}"),
        _("Dear {{ name }},\n\n{{ agency }} needs more information to decide your application for {{ service }} "
          "({{ reference }}):\n\n{{ question }}\n\nAnswer here: {{ link }}\n"),
    ),
    "application-approved": (
        _("Your application {{ reference }} has been approved"),
        _("Dear {{ name }},\n\nGood news: {{ agency }} has approved your application for {{ service }} "
          "({{ reference }}).\n\nSee the details and tell us how we did: {{ link }}\n"),
    ),
    "application-rejected": (
        _("Decision on your application {{ reference }}"),
        _("Dear {{ name }},\n\n{{ agency }} could not approve your application for {{ service }} ({{ reference }}).\n\n"
          "Reason: {{ reason }}\n\nSee the details and how to appeal: {{ link }}\n"),
    ),
    "offer-made": (
        _("You may qualify for {{ scheme }}, apply in one step"),
        _("Dear {{ name }},\n\nFrom the records the government already holds, {{ agency }} believes you may now "
          "qualify for {{ scheme }}.\n\nApply in one step: your application opens with your details already "
          "filled in. {{ link }}\n\nIf you do not want it, you can dismiss this offer from your list of offers.\n"),
    ),
}
