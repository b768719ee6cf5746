"""Who this phone is: the participant and the device token kept in its signed session cookie.

Used by every page a phone opens (contests, practice, the board), so it sits in the core.
"""
from __future__ import annotations

import secrets

from flask import session

from .extensions import db
from .models import Participant

PARTICIPANT_KEY = "participant_id"
# This phone: a random token in the signed session cookie. An attempt belongs to the phone
# that started it (Attempt.device); knowing someone's name and phone number is not enough.
DEVICE_KEY = "device"


def this_device() -> str:
    device = session.get(DEVICE_KEY)
    if not device:
        device = session[DEVICE_KEY] = secrets.token_hex(16)
        session.permanent = True
    return device


def current_participant() -> Participant | None:
    participant_id = session.get(PARTICIPANT_KEY)
    return db.session.get(Participant, participant_id) if participant_id else None
