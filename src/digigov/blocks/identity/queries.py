from digigov.blocks.identity.models import Account, OfficerRole


def officer_roles(*, account: Account) -> set[str]:
    if account.kind != "officer":
        return set()
    return set(OfficerRole.objects.filter(account=account).values_list("role", flat=True))


def account_for_person(*, person_id: int) -> Account | None:
    return Account.objects.filter(person_id=person_id).first()
