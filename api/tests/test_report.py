from django.utils import timezone

from api.tests.conftest import signed_in_with_csrf, signed_in_without_csrf
from lib import ratelimit
from moderation.actions import REPORTS_PER_HOUR
from moderation.models import Report


def path(comment):
    return f"/comments/{comment.pk}/reports"


def test_it_reports_a_comment(as_user, comment, bob):
    response = as_user(bob)("POST", path(comment), {"reason": "spam"})
    assert response.status_code == 201, response.content
    report = Report.objects.get()
    assert response.json() == {
        "id": report.pk,
        "comment": comment.pk,
        "reason": "spam",
        "status": "open",
    }
    assert (report.reporter, report.comment) == (bob, comment)


def test_it_reports_through_the_session_with_the_csrf_token(comment, bob):
    response = signed_in_with_csrf(bob)("POST", path(comment), {"reason": "abuse"})
    assert response.status_code == 201
    assert Report.objects.count() == 1


def test_it_refuses_a_session_report_without_the_csrf_token(comment, bob):
    response = signed_in_without_csrf(bob)("POST", path(comment), {"reason": "spam"})
    assert response.status_code == 403
    assert not Report.objects.exists()


def test_it_asks_an_anonymous_visitor_to_sign_in(anonymous, comment):
    assert anonymous("POST", path(comment), {"reason": "spam"}).status_code == 401
    assert not Report.objects.exists()


def test_it_refuses_a_revoked_token(client, token_of, comment, bob):
    from api.models import AccessToken
    from api.tests.conftest import Api

    text = token_of(bob)
    AccessToken.objects.update(revoked_at=timezone.now())
    response = Api(client, text)("POST", path(comment), {"reason": "spam"})
    assert response.status_code == 401
    assert not Report.objects.exists()


def test_it_tells_a_banned_reader_why(as_user, comment, banned):
    response = as_user(banned)("POST", path(comment), {"reason": "spam"})
    assert response.status_code == 403
    assert "Insults to other readers" in response.json()["detail"]
    assert not Report.objects.exists()


def test_it_refuses_reporting_your_own_comment(as_user, comment, alice):
    response = as_user(alice)("POST", path(comment), {"reason": "spam"})
    assert response.status_code == 403
    assert not Report.objects.exists()


def test_it_refuses_bad_input(as_user, comment, bob):
    api = as_user(bob)
    for data, field in [
        ({"reason": "suspect_words"}, "reason"),
        ({"reason": "nonsense"}, "reason"),
        ({}, "reason"),
        ({"reason": "other", "detail": "x" * 1001}, "detail"),
    ]:
        response = api("POST", path(comment), data)
        assert response.status_code == 400, data
        assert field in response.json()["errors"], response.json()
    response = api("POST", path(comment), {"reason": "other", "detail": "  "})
    assert response.status_code == 400
    assert "Say in a few words" in response.json()["detail"]
    assert not Report.objects.exists()


def test_it_refuses_a_second_open_report(as_user, comment, bob):
    api = as_user(bob)
    api("POST", path(comment), {"reason": "spam"})
    response = api("POST", path(comment), {"reason": "abuse"})
    assert response.status_code == 400
    assert response.json()["detail"] == "You have already reported this comment."
    assert Report.objects.count() == 1


def test_it_answers_too_many_reports_with_429(as_user, comment, bob):
    for _ in range(REPORTS_PER_HOUR.count):
        ratelimit.hit(REPORTS_PER_HOUR, str(bob.pk))
    response = as_user(bob)("POST", path(comment), {"reason": "spam"})
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert "many reports" in response.json()["detail"]
    assert not Report.objects.exists()
