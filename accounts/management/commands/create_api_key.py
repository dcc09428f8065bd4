from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.models import ALL_SCOPES, ApiKey, Team


class Command(BaseCommand):
    help = "Create an API key for a user and print it (the key is on the last line)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="command line")
        parser.add_argument("--team", type=int, help="limit the key to this team id")
        parser.add_argument(
            "--scopes",
            default=",".join(ALL_SCOPES),
            help=f"comma-separated, of: {', '.join(ALL_SCOPES)}",
        )

    def handle(self, *args, username, name, team, scopes, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        scope_list = [s.strip() for s in scopes.split(",") if s.strip()]
        unknown = sorted(set(scope_list) - set(ALL_SCOPES))
        if unknown:
            raise CommandError(f"unknown scopes: {', '.join(unknown)}")
        team_obj = None
        if team is not None:
            team_obj = Team.objects.filter(pk=team, memberships__user=user).first()
            if team_obj is None:
                raise CommandError(f"{username} is not a member of team {team}")
        key, raw = ApiKey.issue(user, name, team=team_obj, scopes=scope_list)
        self.stderr.write(f"API key {key.prefix}… for {username}; it is shown only once:")
        self.stdout.write(raw)
