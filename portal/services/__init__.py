"""Every write on the portal's own records (users, roles, demo data).

Onboarding's writes live in `portal.onboarding.services`; the cross-cutting writers are
`portal.audit`, `portal.notifications`, `portal.documents` and `portal.agreements`.
"""

from portal.services.users import (
    ADMIN_SITE_ROLES,
    USER_ADMIN_FIELDS,
    last_chair_problem,
    user_admin_create,
    user_admin_update,
    user_email_addresses_reset,
    user_password_set,
    user_set_roles,
    user_signup,
)

__all__ = [
    "ADMIN_SITE_ROLES",
    "USER_ADMIN_FIELDS",
    "last_chair_problem",
    "user_admin_create",
    "user_admin_update",
    "user_email_addresses_reset",
    "user_password_set",
    "user_set_roles",
    "user_signup",
]
