import json
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from accounts.services import personal_team
from flows.examples import install_examples

DEMO_USERNAME = "demo"


def demo_password() -> str:
    if settings.BATON_DEMO_PASSWORD:
        return settings.BATON_DEMO_PASSWORD
    path = settings.DATA_DIR / "demo_password"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(12))
    return path.read_text().strip()


class Command(BaseCommand):
    help = "Create the demo user (or reset its password) and give it the example flows."

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
        added = install_examples(user=user, team=personal_team(user))
        if options["json"]:
            self.stdout.write(json.dumps({"username": DEMO_USERNAME, "password": password}))
        else:
            self.stdout.write(f"user {DEMO_USERNAME}, password {password}; {len(added)} examples added")
