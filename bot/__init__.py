"""Plain Python behind the neglect guidance assistant (never imports rasa_sdk)."""
