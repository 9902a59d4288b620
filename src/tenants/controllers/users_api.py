"""JSON API: who am I, and the users of an organisation."""

from __future__ import annotations

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from src.core.tenancy import Actor
from src.identity.auth import provide_actor
from src.tenants.schemas import Me, NewUser, User, UserChange
from src.tenants.services import invitations, people, user_changes, users


class MeApi(Controller):
    path = "/api/v1/me"
    tags = ["me"]
    dependencies = {"actor": Provide(provide_actor)}

    @get(
        "/",
        summary="Who the token acts as",
        description="The person, the organisation acted for, "
        "the role there, the registered e-mail (rule MOD-3) and all active memberships.",
    )
    async def me(self, actor: NamedDependency[Actor]) -> Me:
        return Me.from_dict(await people.whoami(actor))


class UsersApi(Controller):
    path = "/api/v1/organisations/{organisation_id:int}/users"
    tags = ["users"]
    dependencies = {"actor": Provide(provide_actor)}

    @get(
        "/",
        summary="List the users of an organisation",
        description="Contact persons and vendor "
        "admins only; each user with their registered e-mail (rule MOD-3).",
    )
    async def list_users(self, actor: NamedDependency[Actor], organisation_id: FromPath[int]) -> list[User]:
        page = await users.list_users(actor, organisation_id, page_size=None)
        return [User.from_row(row) for row in page.users]

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        summary="Add a user",
        description="An invitation mail "
        "goes out to the user's e-mail. The user is `invited` until the person accepts the invitation "
        "after signing in; the answer is the same whether or not the identifier is registered "
        "elsewhere. Validation errors answer 422 naming the field.",
    )
    async def add_user(
        self, actor: NamedDependency[Actor], organisation_id: FromPath[int], data: JSONBody[NewUser]
    ) -> User:
        row = await user_changes.add_user(
            actor,
            organisation_id,
            name=data.name,
            email=data.email,
            role=data.role,
            personal_identity_number=data.personal_identity_number,
            card_id=data.card_id,
        )
        return User.from_row(row)

    @get("/{user_id:int}", summary="One user of an organisation")
    async def get_user(
        self, actor: NamedDependency[Actor], organisation_id: FromPath[int], user_id: FromPath[int]
    ) -> User:
        return User.from_row(await users.get_user(actor, organisation_id, user_id))

    @patch(
        "/{user_id:int}",
        summary="Change a user",
        description="Name, e-mail, role, status or `may_sign_agreements` (contact persons only). "
        "The last active contact person cannot be deactivated or made an end user: 409.",
    )
    async def change_user(
        self,
        actor: NamedDependency[Actor],
        organisation_id: FromPath[int],
        user_id: FromPath[int],
        data: JSONBody[UserChange],
    ) -> User:
        row = await user_changes.update_user(
            actor,
            organisation_id,
            user_id,
            name=data.name,
            email=data.email,
            role=data.role,
            active=data.active,
            may_sign_agreements=data.may_sign_agreements,
        )
        return User.from_row(row)

    @delete(
        "/{user_id:int}",
        status_code=HTTP_204_NO_CONTENT,
        summary="Withdraw an invitation",
        description="Only while the user is `invited`: no membership is left. "
        "A user who accepted is deactivated instead (PATCH): 409.",
    )
    async def withdraw_invitation(
        self, actor: NamedDependency[Actor], organisation_id: FromPath[int], user_id: FromPath[int]
    ) -> None:
        await invitations.withdraw(actor, organisation_id, user_id)


ROUTES = [MeApi, UsersApi]
