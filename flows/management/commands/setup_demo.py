import json
import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from accounts.credentials import do_create_credential, do_update_credential
from accounts.models import Credential
from accounts.services import personal_team
from flows.examples import install_examples
from knowledge.examples import install_example_knowledge

DEMO_USERNAME = "demo"
DEMO_CREDENTIAL = "Demo model"


def demo_password() -> str:
    if settings.BATON_DEMO_PASSWORD:
        return settings.BATON_DEMO_PASSWORD
    path = settings.DATA_DIR / "demo_password"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(12))
    return path.read_text().strip()


def demo_model() -> dict | None:
    """The model `make run` found (orchestrator_site.local.detect_model), from
    BATON_DEMO_LLM: {"provider", "base_url", "model", "key_from"}; the key itself is read
    from the variable named in key_from, never passed along."""
    raw = os.environ.get("BATON_DEMO_LLM")
    if not raw:
        return None
    try:
        found = json.loads(raw)
    except ValueError:
        return None
    return found if isinstance(found, dict) and found.get("model") else None


def ensure_demo_credential(team, user, found: dict) -> Credential:
    data = {"base_url": found.get("base_url") or None}
    key_from = found.get("key_from")
    data["api_key"] = os.environ.get(key_from, "") if key_from else None
    credential = Credential.objects.filter(team=team, name=DEMO_CREDENTIAL).first()
    if credential is None:
        return do_create_credential(team=team, user=user, name=DEMO_CREDENTIAL,
                                    provider=found.get("provider", "openai"),
                                    data={k: v for k, v in data.items() if v})
    return do_update_credential(credential, {"provider": found.get("provider", "openai"), "data": data})


class Command(BaseCommand):
    help = (
        "Create the demo user (or reset its password) and give it the example flows, the "
        "example knowledge base, and a credential for the model `make run` found."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the credentials as JSON")

    def handle(self, *args, **options):
        password = demo_password()
        users = get_user_model()
        user = users.objects.filter(username=DEMO_USERNAME).first()
        if user is None:
            user = users.objects.create_user(DEMO_USERNAME, password=password)
        elif not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
        team = personal_team(user)
        install_example_knowledge(user=user, team=team)
        found = demo_model()
        credential = ensure_demo_credential(team, user, found) if found else None
        added = install_examples(
            user=user,
            team=team,
            credential_id=credential.id if credential else None,
            model=found.get("model") if found else None,
        )
        if options["json"]:
            self.stdout.write(json.dumps({"username": DEMO_USERNAME, "password": password}))
        else:
            self.stdout.write(f"user {DEMO_USERNAME}, password {password}; {len(added)} examples added")
