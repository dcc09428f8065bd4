"""The runs REST API: thin views over runs.services, answering with runs.render."""
