"""The HTML pages: one router per area, thin handlers over app.services."""
