"""All SQL of push, over push's own tables only (citizens are identity's: push asks
``push.service.recipients.Recipients`` about them). Rows come back as msgspec Structs.

One module per service module: ``messages``, ``deliveries``, ``notices``."""
