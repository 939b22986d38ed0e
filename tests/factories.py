"""factory-boy factories shared by every app's tests."""

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Group

from portal.models import User

TEST_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    """A user with a verified primary email. Pass roles=[...] and two_factor=True as needed."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Faker("name")
    password = factory.django.Password(TEST_PASSWORD)

    @factory.post_generation
    def verified_email(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        if create and extracted:
            self.groups.add(*Group.objects.filter(name__in=extracted))
            self.__dict__.pop("role_names", None)

    @factory.post_generation
    def two_factor(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        if create and extracted:
            TOTP.activate(self, generate_totp_secret())


def totp_secret(user: User) -> str:
    """The user's TOTP secret, for tests that sign in with a current code."""
    return Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).data["secret"]
