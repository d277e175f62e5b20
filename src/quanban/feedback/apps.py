from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "quanban.feedback"
    label = "feedback"
    verbose_name = "Feedback"

    def ready(self) -> None:
        # The feedback events' texts join the notification registry (quanban.notify.events).
        from quanban.feedback import notifications

        notifications.register_events()
