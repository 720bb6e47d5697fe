"""Routes by audience: ``public`` (the verified list), ``embed`` (for other sites),
``auth`` (sign-in), ``review`` (the queue and proposals, their images), ``intake`` (uploads and
quarantine), ``registry_pages`` (organisations, signatories, follow-up), ``admin``
(accounts, audit trail, overview)."""
