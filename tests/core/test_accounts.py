"""Accounts and visibility in the store: argon2 passwords, sessions and tokens stored as hashes only, and the
visibility rules of core/store/access.py, each checked with real rows in a real (SQLite) database."""

import pytest
from sqlalchemy import select

from forgetlab.core.errors import Invalid, NotFound
from forgetlab.core.scenario import Scenario
from forgetlab.core.store import access, accounts, runs, sweeps
from forgetlab.core.store.models import ApiToken, Run, User, UserSession


def user(sessions, name, role="student", password="a long password"):
    with sessions() as session:
        return accounts.create_user(session, name=name, password=password, role=role)


def run_of(sessions, owner, shared=False):
    with sessions() as session:
        run = runs.create_run(session, scenario=Scenario(), queue="cpu", owner_id=owner.id if owner else None)
        if shared:
            runs.set_shared(session, run_id=run.id, shared=True)
        return run


def visible(sessions, who) -> set[int]:
    with sessions() as session:
        return {r.id for r in session.scalars(access.visible_runs_query(who))}


def test_passwords_are_argon2_and_checked(sessions):
    ada = user(sessions, "Ada")
    assert ada.name == "ada" and ada.password_hash.startswith("$argon2id$")
    with sessions() as session:
        assert accounts.authenticate(session, name="ADA", password="a long password").id == ada.id
        assert accounts.authenticate(session, name="ada", password="wrong password") is None
        assert accounts.authenticate(session, name="nobody", password="a long password") is None


@pytest.mark.parametrize(("name", "password", "role", "field"), [
    ("a", "a long password", "student", "name"), ("has space", "a long password", "student", "name"),
    ("local", "a long password", "student", "name"), ("bob", "short", "student", "password"),
    ("bob", "a long password", "wizard", "role")])
def test_bad_accounts_name_the_field(sessions, name, password, role, field):
    with sessions() as session, pytest.raises(Invalid) as e:
        accounts.create_user(session, name=name, password=password, role=role)
    assert e.value.field == field


def test_a_taken_name_is_refused(sessions):
    user(sessions, "ada")
    with sessions() as session, pytest.raises(Invalid, match="taken"):
        accounts.create_user(session, name="ADA", password="another password")


def test_a_disabled_user_cannot_sign_in_and_loses_sessions(sessions):
    ada = user(sessions, "ada")
    with sessions() as session:
        secret = accounts.start_session(session, user=ada, days=1)
        assert accounts.session_user(session, secret)[0].id == ada.id
        assert session.get(UserSession, secret) is None  # only the hash is stored
        accounts.update_user(session, user=session.merge(ada), disabled=True)
        assert accounts.session_user(session, secret) is None
        assert accounts.authenticate(session, name="ada", password="a long password") is None


def test_a_new_password_ends_the_other_sessions(sessions):
    ada = user(sessions, "ada")
    with sessions() as session:
        mine, other = (accounts.start_session(session, user=ada, days=1) for _ in range(2))
        accounts.set_password(session, user=session.merge(ada), password="a new password!",
                              keep_session=accounts.digest(mine))
        assert accounts.session_user(session, mine) and accounts.session_user(session, other) is None
        assert accounts.authenticate(session, name="ada", password="a new password!")


def test_tokens_are_hashed_revocable_and_only_their_owner_revokes(sessions):
    ada, bob = user(sessions, "ada"), user(sessions, "bob")
    with sessions() as session:
        row, token = accounts.create_token(session, user=ada, name="laptop")
        assert token.startswith("fl_") and token not in {t for t, in session.execute(select(ApiToken.token_hash))}
        assert accounts.token_user(session, token).id == ada.id
        assert accounts.token_user(session, token + "x") is None
        with pytest.raises(NotFound):
            accounts.revoke_token(session, user=bob, token_id=row.id)
        accounts.revoke_token(session, user=ada, token_id=row.id)
        assert accounts.token_user(session, token) is None
        with pytest.raises(Invalid):
            accounts.create_token(session, user=ada, name=" ")


def test_the_local_user_is_one_instructor_without_password(sessions):
    with sessions() as session:
        first, again = accounts.local_user(session), accounts.local_user(session)
        assert first.id == again.id and first.role == "admin" and first.password_hash is None
        assert accounts.authenticate(session, name="local", password="") is None
        assert session.scalar(select(User).where(User.name == "local").with_only_columns(User.id)) == first.id


def test_who_sees_which_run(sessions):
    ada, bob = user(sessions, "ada"), user(sessions, "bob")
    teacher, guest = user(sessions, "teacher", "instructor"), user(sessions, "guest1", "guest")
    mine, bobs, shared, legacy = run_of(sessions, ada), run_of(sessions, bob), run_of(sessions, bob, True), run_of(sessions, None)
    assert visible(sessions, ada) == {mine.id, shared.id}
    assert visible(sessions, bob) == {bobs.id, shared.id}
    assert visible(sessions, guest) == {shared.id}
    # No class links the teacher to ada or bob yet (classes add that clause): their own, shared, pre-account runs.
    assert visible(sessions, teacher) == {shared.id, legacy.id}
    assert visible(sessions, None) == set()
    with sessions() as session:
        assert access.can_manage_run(session, ada, mine) and not access.can_manage_run(session, ada, shared)
        assert not access.can_manage_run(session, guest, shared)
        assert access.can_manage_run(session, teacher, legacy) and not access.can_manage_run(session, bob, legacy)


def test_a_sweep_reuses_only_runs_its_owner_may_see(sessions):
    ada, bob = user(sessions, "ada"), user(sessions, "bob")
    bobs = run_of(sessions, bob)
    with sessions() as session:
        runs.finish(session, run_id=bobs.id, status="succeeded", summary={})
        sweep, new = sweeps.create_sweep(session, spec={"grid": {}}, scenarios=[Scenario()], queue="cpu",
                                         preset_of=lambda s: None, owner_id=ada.id,
                                         reuse_where=access.run_filter(ada))
        assert len(new) == 1 and new[0].owner_id == ada.id and sweep.owner_id == ada.id
        assert session.get(Run, new[0].id).id != bobs.id
        assert access.can_view_sweep(session, ada, sweep) and not access.can_view_sweep(session, bob, sweep)
