from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from .services import do_create_personal_team


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def give_new_users_a_team(sender, instance, created: bool, **kwargs) -> None:
    if created:
        do_create_personal_team(instance)
