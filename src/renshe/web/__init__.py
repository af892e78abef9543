"""The web shell: application factory, layout, i18n, errors, security headers, health."""
