"""Drives a running Forgekey with the unmodified python-gitlab client.

Usage: python test_python_gitlab.py URL ADMIN_TOKEN USER_ID
  ADMIN_TOKEN: a token of an administrator with the api and sudo scopes
  USER_ID:     the id of a regular user

Prints one line per check and, last, "N passed, M failed"; exits non-zero
if any check failed.
"""

import datetime
import sys
import traceback

import gitlab

URL, ADMIN_TOKEN, USER_ID = sys.argv[1], sys.argv[2], int(sys.argv[3])
IN_A_MONTH = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
checks = []


def check(fn):
    checks.append(fn)
    return fn


def admin():
    return gitlab.Gitlab(URL, private_token=ADMIN_TOKEN)


@check
def auth_and_version():
    gl = admin()
    gl.auth()
    assert gl.user.is_admin is True, gl.user.attributes
    version, revision = gl.version()
    assert version.startswith("16."), version
    assert revision.startswith("forgekey"), revision


@check
def bad_token_is_refused():
    gl = gitlab.Gitlab(URL, private_token="fkpat-not-a-real-token")
    try:
        gl.auth()
    except gitlab.exceptions.GitlabAuthenticationError as e:
        assert e.response_code == 401
    else:
        raise AssertionError("a bad token was accepted")


@check
def list_tokens_and_get_self():
    gl = admin()
    tokens = gl.personal_access_tokens.list(get_all=True)
    assert len(tokens) >= 1
    me = gl.personal_access_tokens.get("self")
    assert "api" in me.scopes and me.active is True
    assert not hasattr(me, "token")


@check
def paginate_with_link_headers():
    gl = admin()
    user = gl.users.get(USER_ID)
    for i in range(5):
        user.personal_access_tokens.create(
            {"name": f"page {i}", "scopes": ["read_api"], "expires_at": IN_A_MONTH}
        )
    pages = gl.personal_access_tokens.list(user_id=USER_ID, per_page=2, iterator=True)
    names = [t.name for t in pages]
    assert len(names) >= 5 and len(set(names)) == len(names), names
    assert pages.total_pages >= 3, pages.total_pages


@check
def admin_creates_a_token_for_a_user_who_rotates_and_deletes_it():
    gl = admin()
    user = gl.users.get(USER_ID)
    created = user.personal_access_tokens.create(
        {"name": "made by admin", "scopes": ["api"], "expires_at": IN_A_MONTH}
    )
    assert created.token.startswith("fkpat-")
    assert created.user_id == USER_ID

    mine = gitlab.Gitlab(URL, private_token=created.token)
    mine.auth()
    assert mine.user.id == USER_ID
    me = mine.personal_access_tokens.get("self")
    assert me.name == "made by admin"

    rotated = mine.personal_access_tokens.rotate(me.id)
    new_secret = rotated["token"]
    assert new_secret != created.token
    fresh = gitlab.Gitlab(URL, private_token=new_secret)
    fresh.auth()
    assert fresh.user.id == USER_ID

    fresh.personal_access_tokens.delete(rotated["id"])
    try:
        fresh.auth()
    except gitlab.exceptions.GitlabAuthenticationError:
        pass
    else:
        raise AssertionError("a deleted token still works")


@check
def read_api_token_cannot_write():
    gl = admin()
    user = gl.users.get(USER_ID)
    ro = user.personal_access_tokens.create(
        {"name": "read only", "scopes": ["read_api"], "expires_at": IN_A_MONTH}
    )
    client = gitlab.Gitlab(URL, private_token=ro.token)
    assert len(client.personal_access_tokens.list(get_all=True)) >= 1
    try:
        client.personal_access_tokens.delete(ro.id)
    except gitlab.exceptions.GitlabDeleteError as e:
        assert e.response_code == 403, e.response_code
        assert "insufficient_scope" in str(e.error_message) or "insufficient_scope" in e.response_body.decode()
    else:
        raise AssertionError("a read_api token deleted a token")


@check
def impersonation_tokens():
    gl = admin()
    user = gl.users.get(USER_ID)
    imp = user.impersonationtokens.create(
        {"name": "support", "scopes": ["api"], "expires_at": IN_A_MONTH}
    )
    assert imp.impersonation is True
    as_user = gitlab.Gitlab(URL, private_token=imp.token)
    as_user.auth()
    assert as_user.user.id == USER_ID
    # Not on the user's own list.
    names = [t.name for t in as_user.personal_access_tokens.list(get_all=True)]
    assert "support" not in names, names
    listed = user.impersonationtokens.list(state="active", get_all=True)
    assert any(t.id == imp.id for t in listed)
    user.impersonationtokens.delete(imp.id)
    try:
        as_user.auth()
    except gitlab.exceptions.GitlabAuthenticationError:
        pass
    else:
        raise AssertionError("a revoked impersonation token still works")


@check
def sudo_acts_as_the_user():
    gl = gitlab.Gitlab(URL, private_token=ADMIN_TOKEN)
    gl.headers["Sudo"] = str(USER_ID)
    gl.auth()
    assert gl.user.id == USER_ID


def graphql(token=ADMIN_TOKEN):
    """python-gitlab's GraphQL client (gql over httpx). It fetches the schema
    by introspection first and validates every query against it before
    sending: a field Forgekey lacks fails here, not on the server."""
    return gitlab.GraphQL(URL, token=token, fetch_schema_from_transport=True)


@check
def graphql_current_user_and_metadata():
    result = graphql().execute(
        "query { currentUser { id username state webUrl } metadata { version enterprise } }"
    )
    me = result["currentUser"]
    assert me["id"].startswith("gid://gitlab/User/"), me
    assert me["username"] == admin().users.list(username=me["username"])[0].username
    assert me["state"] == "active"
    assert result["metadata"]["version"].startswith("16."), result


@check
def graphql_validates_queries_against_the_served_schema():
    import graphql as graphql_core

    try:
        graphql().execute("query { currentUser { noSuchField } }")
    except graphql_core.GraphQLError as e:
        assert "noSuchField" in str(e), e
    else:
        raise AssertionError("a query with an unknown field was accepted")


@check
def graphql_users_paged_by_cursor_match_the_rest_list():
    gq = graphql()
    query = """
      query($after: String) {
        users(first: 1, after: $after, sort: created_asc) {
          nodes { id username }
          pageInfo { hasNextPage endCursor }
        }
      }
    """
    seen, after = [], None
    while True:
        page = gq.execute(query, variable_values={"after": after})["users"]
        seen += [n["username"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    rest = [u.username for u in admin().users.list(get_all=True, order_by="id", sort="asc")]
    assert seen == rest, (seen, rest)


@check
def graphql_finds_a_project_created_over_rest():
    gl = admin()
    gl.auth()
    project = gl.projects.create({"name": "graphql-demo", "visibility": "private"})
    path = project.path_with_namespace
    found = graphql().execute(
        "query($p: ID!) { project(fullPath: $p) { id fullPath visibility httpUrlToRepo } }",
        variable_values={"p": path},
    )["project"]
    assert found["id"] == f"gid://gitlab/Project/{project.id}", found
    assert found["fullPath"] == path and found["visibility"] == "private", found
    # Anonymous clients do not see a private project.
    anonymous = gitlab.GraphQL(URL).execute(
        "query($p: ID!) { project(fullPath: $p) { id } echo(text: \"hi\") }",
        variable_values={"p": path},
    )
    assert anonymous == {"project": None, "echo": "nil says: hi"}, anonymous


@check
def graphql_bad_token_is_refused_in_gitlabs_words():
    # GitLab answers 401 with a GraphQL body, {"errors": [{"message":
    # "Invalid token"}]}; gql reads the body and raises it as a query error.
    from gql.transport.exceptions import TransportQueryError

    try:
        gitlab.GraphQL(URL, token="fkpat-not-a-real-token").execute("query { currentUser { id } }")
    except TransportQueryError as e:
        assert e.errors == [{"message": "Invalid token"}], e.errors
    else:
        raise AssertionError("a bad token was accepted")


passed = failed = 0
for fn in checks:
    try:
        fn()
    except Exception:  # noqa: BLE001 - report every failure and go on
        failed += 1
        print(f"FAIL {fn.__name__}")
        traceback.print_exc()
    else:
        passed += 1
        print(f"ok   {fn.__name__}")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
