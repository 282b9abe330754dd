"""Safe City Watch: an open civil-liberties database of public-surveillance deployments."""
