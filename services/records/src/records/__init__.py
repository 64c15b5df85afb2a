"""Records: patients, consents, the medical card, documents, cabinet access, notifications."""
