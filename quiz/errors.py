"""Rule violations that a user caused, with the message they will read."""


class QuizError(Exception):
    """A refused action. ``message`` is shown to the user: translated where it is raised
    (``gettext``), or a Chinese message id (``N_``) that the error page translates (quiz.web)."""

    status = 400

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class NotFound(QuizError):
    status = 404


class Closed(QuizError):
    status = 410


class Conflict(QuizError):
    status = 409


class TooLate(QuizError):
    """The server's deadline has passed."""

    status = 409
