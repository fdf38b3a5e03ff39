"""celery-tutor: follow the Celery + RabbitMQ study notes step by step, in real containers."""

__version__ = "0.1.0"
