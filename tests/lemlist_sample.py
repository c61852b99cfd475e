"""lemlist's data, as its reference documents it, and sample data in that shape, for
the stand-in: nothing here comes from the tap, so a test comparing them can fail."""

from __future__ import annotations

import calendar
import random
import re
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeAlias

Record: TypeAlias = dict[str, Any]  #: a JSON object: a task, the team, a campaign
_ID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz"

# lemlist's documented values, copied here so that the stand-in plays lemlist: it
# never asks the tap what lemlist accepts. Task types are the filter reference's,
# plus `linkedin`, which lemlist's create-task reference lists.
TASK_TYPES = (
    "manual", "phone", "linkedinInvite", "linkedinSend", "linkedinVoiceNote",
    "emailsReplied", "opportunityReplied", "linkedinReplied", "opportunityClicked",
    "email", "whatsappMessage", "linkedin",
)  # fmt: skip
CAMPAIGN_STATES = ("draft", "running", "ended", "paused", "errors", "archived")


@dataclass
class Task:
    """One lemlist task: the record as served, and what only filters see."""

    record: Record
    #: The lead's ``fullName``, ``email``, ``phone``, ``linkedin``; none without lead.
    lead: dict[str, str] = field(default_factory=dict)
    campaign_state: str | None = None  #: None without campaign
    done: bool = False  #: set by the stand-in's ``complete()``: never served

    @property
    def id(self) -> str:
        """The task's ``_id``."""
        return str(self.record["_id"])

    @property
    def pending(self) -> bool:
        """Whether lemlist serves it: not done, and no "done"/"completed" status."""
        return not self.done and self.record.get("status") not in {"done", "completed"}


_NAMES = (
    "John Doe", "Zoë Dupont", "María José Núñez", "田中 花子", "Olivia Smith",
    "Liam O'Brien", "Chloé Martin", "Jürgen Weiß", "Priya Patel", "Ahmed Ali",
    "Håkon Berg", "Emma Johnson",
)  # fmt: skip
_TITLES = (
    "Keep an eye on {first}", "Call {first} back", "Send the deck to {first}",
    "Rappeler Zoë — café ☕", "東京のリード", "Follow up 🚀",
    "Check {first}'s LinkedIn activity", "API Reference Illustration",
)  # fmt: skip
_CONTENTS = (
    "", "", "does he have bandwidth to help us? would be grand",
    "Budget mentioned for Q3 — ask again", "Voicemail 📞, try tomorrow",
    "日本語のメモ", "Line one\nLine two", 'Quote: "hello" & <b>bye</b>',
)  # fmt: skip
_OCT_1_2025_MS = 1_759_276_800_000
_DAY_MS = 86_400_000
#: The day sample due dates are spread around, unless told another (the stand-in's
#: command line gives today): fixed, so that tests get the same tasks every day.
SAMPLE_TODAY = date(2025, 11, 15)
# Shares of the sample tasks with a due date that are overdue and due today; the rest
# are upcoming. Up to 30 days either way.
_OVERDUE_SHARE, _TODAY_SHARE, _SPREAD_DAYS = 0.40, 0.15, 30


def _make_id(rng: random.Random, prefix: str) -> str:
    return prefix + "".join(rng.choices(_ID_ALPHABET, k=17))


def _iso(epoch_ms: int) -> str:
    """Format like lemlist: ``2025-11-10T09:58:57.169Z``."""
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch_ms // 1000))
    return f"{seconds}.{epoch_ms % 1000:03d}Z"


def _due_around(today: date, draw: int) -> int:
    """A due date (epoch ms) from one uniform draw in [0, 90 days): overdue, due
    `today` or upcoming, by the shares above, at the draw's time of day."""
    share, upcoming = draw / (90 * _DAY_MS), _OVERDUE_SHARE + _TODAY_SHARE
    if share < _OVERDUE_SHARE:
        days = -1 - int(share / _OVERDUE_SHARE * _SPREAD_DAYS)
    elif share < upcoming:
        days = 0
    else:
        days = 1 + int((share - upcoming) / (1 - upcoming) * _SPREAD_DAYS)
    return calendar.timegm(today.timetuple()) * 1000 + days * _DAY_MS + draw % _DAY_MS


def _make_lead(rng: random.Random, number: int) -> tuple[str, str, dict[str, str]]:
    """A lead's id, its contact's id and its attributes."""
    name = rng.choice(_NAMES)
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z]+", ".", ascii_name.lower()).strip(".") or "lead"
    attributes = {"fullName": name, "email": f"{slug}{number}@example.com"}
    if rng.random() < 0.8:
        attributes["phone"] = f"+33 6 {rng.randrange(10**8):08d}"
    if rng.random() < 0.7:
        attributes["linkedin"] = f"https://www.linkedin.com/in/{slug}-{number}"
    return _make_id(rng, "lea_"), _make_id(rng, "ctc_"), attributes


def sample_tasks(
    count: int, seed: int = 7, *, today: date = SAMPLE_TODAY
) -> list[Task]:
    """Build ``count`` varied, realistic pending tasks, deterministic for ``seed``.

    About 15% have no lead, campaign or contact; a few lack ``dueDate`` or
    ``priority`` or store ``priority`` as a string; texts include unicode and "".
    Due dates are spread around ``today``: overdue, due that day, or upcoming.
    """
    rng = random.Random(seed)  # noqa: S311 - sample data, not security
    users, campaigns = _team_of(rng)
    leads = [_make_lead(rng, number) for number in range(max(1, count // 3))]
    tasks = []
    for _ in range(count):
        lead_id, contact_id, lead = (
            ("", "", {}) if rng.random() < 0.15 else rng.choice(leads)
        )
        first = lead["fullName"].split()[0] if lead else "them"
        record: Record = {"_id": _make_id(rng, "opp_"), "type": rng.choice(TASK_TYPES)}
        record["title"] = rng.choice(_TITLES).format(first=first)
        if (roll := rng.random()) < 0.9:
            record["priority"] = rng.randint(0, 2) if roll < 0.8 else rng.choice("1 ")
        campaign = rng.choice(campaigns) if lead else None
        if campaign:
            record["leadId"], record["campaignId"] = lead_id, campaign["_id"]
            record["contactId"] = contact_id
        due = _due_around(today, rng.randrange(90 * _DAY_MS))
        if rng.random() < 0.95:
            record["dueDate"] = _iso(due)
        record["userId"] = rng.choice(users)["userId"]
        record["content"] = rng.choice(_CONTENTS)
        if rng.random() < 0.3:
            record["status"] = "pending"
        if rng.random() < 0.4:
            record["createdAt"] = _iso(due - rng.randrange(30 * _DAY_MS))
        state = campaign["status"] if campaign else None
        tasks.append(Task(record, dict(lead), state))
    return tasks


def _team_of(rng: random.Random) -> tuple[list[Record], list[Record]]:
    """The team's users and campaigns as lemlist lists them: a sample's first draws."""
    names = ("Alice Martin", "Bruno Díaz", "Chen Wei", "Dana O'Neil")
    users = [
        {"userId": _make_id(rng, "usr_"), "name": name,
         "email": f"{name.split()[0].lower()}@team.example.com", "role": role}
        for name, role in zip(names, ("admin", "user", "user", "user"), strict=True)
    ]  # fmt: skip
    themes = ("Q4 outreach", "Webinar follow-up", "Founders 🚀", "Relance clients") * 3
    campaigns = [
        {
            "_id": _make_id(rng, "cam_"),
            "name": f"{theme} ({status})",
            "emoji": "📣",
            "labels": ["sample"] if number % 2 else [],
            "createdAt": _iso(_OCT_1_2025_MS - (30 - number) * _DAY_MS),
            "createdBy": users[number % len(users)]["userId"],
            "status": status,
            "hasError": status == "errors",
            "errors": ["mailbox disconnected"] if status == "errors" else [],
        }
        for number, (theme, status) in enumerate(
            zip(themes, CAMPAIGN_STATES * 2, strict=True)
        )
    ]
    return users, campaigns


def sample_users(seed: int = 7) -> list[Record]:
    """The team's users as `GET /team?version=v2` lists them: those the tasks of
    ``sample_tasks(…, seed)`` are assigned to."""
    return _team_of(random.Random(seed))[0]  # noqa: S311 - sample data


def sample_campaigns(seed: int = 7) -> list[Record]:
    """The team's campaigns as `GET /campaigns` lists them: those of the tasks of
    ``sample_tasks(…, seed)``, created a day apart from September 2025."""
    return _team_of(random.Random(seed))[1]  # noqa: S311 - sample data


def sample_team(
    team_id: str = "tea_StandInTeam00001",
    name: str = "Stand-in team",
    *,
    api_key: str = "",
    users: list[Record] | None = None,
) -> Record:
    """Build a Team object in lemlist's documented shape, secrets included.

    ``apiKey``, ``hooks``, ``slackWebhook`` and ``invitedUsers`` are there so tests
    can prove the tap keeps none of them; ``users`` is what `version=v2` adds.
    """
    members = sample_users() if users is None else users
    hook = f"https://hooks.example.com/secret-hook-{team_id}"
    return {
        "_id": team_id,
        "name": name,
        "userIds": [user["userId"] for user in members],
        "users": members,
        "createdBy": "usr_StandInOwner0001",
        "createdAt": "2024-03-01T10:00:00.000Z",
        "apiKey": api_key,
        "hooks": [{"_id": "hoo_StandInHook00001", "targetUrl": hook}],
        "slackWebhook": f"https://hooks.slack.com/services/SECRET/{team_id}",
        "invitedUsers": [{"email": f"invited-{team_id}@example.com"}],
        "agency": {"isAgency": True},
        "beta": [],
        "pictureId": None,
        "customDomain": f"track.{team_id.lower()}.example.com",
    }
