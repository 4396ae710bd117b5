import factory

from users.models import CustomUser


class PlayerFactory(factory.django.DjangoModelFactory):
    """A player created the way the services create them (with a profile)."""

    class Meta:
        model = CustomUser
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"player{n}")
    display_name = factory.LazyAttribute(lambda o: o.username.capitalize())
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.test")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):  # type: ignore[no-untyped-def]
        password = kwargs.pop("password", None)
        return model_class.objects.create_user(*args, password=password, **kwargs)
