"""Account actions: teams and keys."""

from __future__ import annotations

from django.db import transaction

from .models import Membership, Team
from .roles import Role


def do_create_personal_team(user) -> Team:
    with transaction.atomic():
        team = Team.objects.create(name=f"{user.get_username()}'s team", personal_for=user)
        Membership.objects.create(team=team, user=user, role=Role.OWNER)
    return team


def personal_team(user) -> Team:
    team = Team.objects.filter(personal_for=user).first()
    return team or do_create_personal_team(user)


def do_create_team(user, name: str) -> Team:
    with transaction.atomic():
        team = Team.objects.create(name=name)
        Membership.objects.create(team=team, user=user, role=Role.OWNER)
    return team
