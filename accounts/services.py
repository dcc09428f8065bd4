"""Account actions: teams and their members. `check_*` validates; `do_*` writes.

Rules every path (API, admin) goes through here for:
- a team always keeps at least one owner;
- a personal team stays its user's: they stay an owner of it, and it cannot be deleted;
- changes to a team's members happen under the team's row lock, so two owners demoting
  each other at the same moment cannot leave the team without an owner.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from orchestrator_site.problems import Conflict, Invalid

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


def do_update_team(team: Team, changes: dict[str, Any]) -> Team:
    allowed = {"name", "max_active_runs"}
    fields = [name for name in changes if name in allowed]
    for name in fields:
        setattr(team, name, changes[name])
    if fields:
        team.save(update_fields=fields)
    return team


def do_delete_team(team: Team) -> None:
    with transaction.atomic():
        locked = Team.objects.select_for_update().get(pk=team.pk)
        if locked.personal:
            raise Conflict("a personal team cannot be deleted")
        flows = locked.flows.count()
        if flows:
            raise Conflict(
                f"the team still has {flows} flow{'s' if flows != 1 else ''}: move or delete "
                "them first"
            )
        locked.delete()


def do_rotate_webhook_secret(team: Team) -> str:
    team.webhook_secret = secrets.token_hex(32)
    team.save(update_fields=["webhook_secret"])
    return team.webhook_secret


# --- Members ------------------------------------------------------------------------------


def check_user(username: Any):
    if not isinstance(username, str) or not username:
        raise Invalid({"username": "must be a user name"})
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise Invalid({"username": f"there is no user named {username!r}"})
    return user


def membership_of(team: Team, username: str) -> Membership | None:
    return (
        Membership.objects.select_related("user")
        .filter(team=team, user__username=username)
        .first()
    )


def _lock(team: Team) -> Team:
    return Team.objects.select_for_update().get(pk=team.pk)


def _other_owners(team: Team, membership: Membership) -> int:
    return (
        Membership.objects.filter(team=team, role=Role.OWNER).exclude(pk=membership.pk).count()
    )


def do_add_member(team: Team, user, role: str) -> Membership:
    with transaction.atomic():
        _lock(team)
        existing = Membership.objects.filter(team=team, user=user).first()
        if existing is not None:
            raise Conflict(
                f"{user.get_username()} is already a member ({existing.role}); change their "
                "role instead",
                role=existing.role,
            )
        try:
            with transaction.atomic():
                return Membership.objects.create(team=team, user=user, role=role)
        except IntegrityError:
            raise Conflict(f"{user.get_username()} is already a member") from None


def do_change_role(team: Team, membership: Membership, role: str) -> Membership:
    with transaction.atomic():
        locked = _lock(team)
        membership = Membership.objects.select_for_update().select_related("user").get(
            pk=membership.pk
        )
        if membership.role == role:
            return membership
        if membership.role == Role.OWNER:
            if locked.personal_for_id == membership.user_id:
                raise Conflict("the owner of a personal team stays its owner")
            if not _other_owners(locked, membership):
                raise Conflict("a team needs at least one owner: make someone else owner first")
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def do_remove_member(team: Team, membership: Membership) -> None:
    with transaction.atomic():
        locked = _lock(team)
        membership = Membership.objects.select_for_update().filter(pk=membership.pk).first()
        if membership is None:
            return
        if locked.personal_for_id == membership.user_id:
            raise Conflict("the owner of a personal team cannot leave it")
        if membership.role == Role.OWNER and not _other_owners(locked, membership):
            raise Conflict("a team needs at least one owner: make someone else owner first")
        membership.delete()
