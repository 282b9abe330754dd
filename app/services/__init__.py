"""The work of the app: functions over a Session, no web code."""
