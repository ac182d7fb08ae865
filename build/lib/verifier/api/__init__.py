"""The HTTP faces of the service: public (read-only), issuer, operator."""
