"""The WISP REST API (``docs/api.md``), served by OCA ``fastapi`` under /api/wisp/v1.

Routes only read the request and decide: every operation is a ``wisp.api.client``
method. The endpoint runs as a technical user without rights; a call is authenticated
by its ``X-Api-Key``, then its scope is checked, and only then does the operation act
as superuser, restricted to what it names in the client's company.
"""

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.security import APIKeyHeader

from odoo.addons.fastapi.dependencies import odoo_env
from odoo.api import Environment

from ..models.wisp_api_client import ApiInputError
from .schemas import (
    REF_MAX,
    ConnectionRequestIn,
    ConnectionRequestOut,
    Error,
    PaymentIn,
    PaymentOut,
    Plan,
    SubscriberStatus,
    ValidationErrors,
)

API_DESCRIPTION = """
Connection requests, subscriber status and balance, payments collected elsewhere and
plans of a WISP suite. Every call sends its integration's key in the `X-Api-Key`
header; each key has scopes. Errors are JSON: `{"detail": "..."}`, or for 422 a list of
`{"loc", "msg", "type"}`. See docs/api.md.
"""

router = APIRouter()

api_key_header = APIKeyHeader(
    name="X-Api-Key",
    auto_error=False,
    description="The integration's key, made by the WISP manager (WISP > Configuration > "
    "API Clients).",
)

AUTH_ERRORS = {
    401: {"model": Error, "description": "Missing or invalid API key."},
    403: {"model": Error, "description": "The key lacks this endpoint's scope."},
}
INPUT_ERRORS = {422: {"model": ValidationErrors, "description": "Invalid input, per field."}}


class QuietRefusals:
    """ASGI middleware: the API's refusals (401, 403, 404, 422) are logged by Odoo in one
    INFO line, not as an ERROR with a traceback as it logs any exception it does not
    know: a wrong key or a bad body is the caller's mistake, and must not flood the log.
    Odoo's dispatcher still turns them into the JSON answer."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        try:
            await self.app(scope, receive, send)
        except (HTTPException, RequestValidationError) as refusal:
            refusal.loglevel = logging.INFO  # read by odoo.http's error logging
            raise


def api_client(
    env: Annotated[Environment, Depends(odoo_env)],
    key: Annotated[str | None, Depends(api_key_header)],
):
    """The ``wisp.api.client`` the key belongs to, or a 401 (same for a missing, an
    unknown and an archived client's key)."""
    client = env["wisp.api.client"]._authenticate(key)
    if not client:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Missing or invalid API key.",
            headers={"WWW-Authenticate": "ApiKey"},
        )
    return client


def scope(name):
    """Dependency: the authenticated client, provided its key has scope ``name``."""

    def check(client: Annotated[object, Depends(api_client)]):
        if not client._has_scope(name):
            raise HTTPException(
                status_code=status.HTTP_403_FORBIDDEN,
                detail=f"This API key does not have the scope {name}.",
            )
        return client

    return check


def unprocessable(errors):
    """A 422 in FastAPI's own shape for ``{field: message}`` found by the suite's checks."""
    return HTTPException(
        status_code=422,
        detail=[
            {"loc": ["body", field], "msg": message, "type": "value_error"}
            for field, message in errors.items()
        ],
    )


@router.get("/plans", tags=["plans"], responses=AUTH_ERRORS)
def list_plans(client: Annotated[object, Depends(scope("plans_read"))]) -> list[Plan]:
    """The plans a prospect may ask for. Scope: `plans_read`."""
    return [Plan(**plan) for plan in client._api_plans()]


@router.post(
    "/connection-requests",
    tags=["connection requests"],
    status_code=status.HTTP_201_CREATED,
    responses={**AUTH_ERRORS, **INPUT_ERRORS, 200: {"model": ConnectionRequestOut}},
)
def submit_connection_request(
    body: ConnectionRequestIn,
    response: Response,
    client: Annotated[object, Depends(scope("connection_request"))],
) -> ConnectionRequestOut:
    """A prospect asks for service at an address, checked as the website form checks
    it. 201: new request; 200: this integration already submitted it (same
    `external_ref`, or the same e-mail at the same address still open), nothing made.
    Scope: `connection_request`."""
    try:
        request, created = client._api_connection_request(body.model_dump())
    except ApiInputError as error:
        raise unprocessable(error.errors) from None
    if not created:
        response.status_code = status.HTTP_200_OK
    return ConnectionRequestOut(reference=request.name, status=request.state, created=created)


@router.get(
    "/subscribers/{subscriber_code}",
    tags=["subscribers"],
    responses={**AUTH_ERRORS, 404: {"model": Error, "description": "No such subscriber."}},
)
def read_subscriber(
    subscriber_code: Annotated[str, Path(max_length=REF_MAX)],
    client: Annotated[object, Depends(scope("subscriber_read"))],
) -> SubscriberStatus:
    """A subscriber's status and balance, by its subscriber code. Scope:
    `subscriber_read`."""
    subscriber = client._api_subscriber(subscriber_code)
    if not subscriber:
        raise HTTPException(status_code=404, detail="No subscriber with this code.")
    return SubscriberStatus(**client._api_subscriber_status(subscriber))


@router.post(
    "/payments",
    tags=["payments"],
    status_code=status.HTTP_201_CREATED,
    responses={**AUTH_ERRORS, **INPUT_ERRORS, 200: {"model": PaymentOut}},
)
def register_payment(
    body: PaymentIn,
    response: Response,
    client: Annotated[object, Depends(scope("payment_write"))],
) -> PaymentOut:
    """A payment the subscriber made to this integration (agent, bank, mobile money):
    booked in the integration's journal, it pays the open invoices oldest first, the
    rest stays as wallet credit. Idempotent on `external_ref`: 201 booked now, 200 booked
    by an earlier call (nothing booked twice). Scope: `payment_write`."""
    subscriber = client._api_subscriber(body.subscriber_code)
    if not subscriber:
        raise unprocessable({"subscriber_code": "No subscriber with this code."})
    try:
        payment, created = client._api_register_payment(
            subscriber, float(body.amount), body.currency, body.external_ref, body.memo
        )
    except ApiInputError as error:
        raise unprocessable(error.errors) from None
    if not created:
        response.status_code = status.HTTP_200_OK
    balances = client._api_subscriber_status(subscriber)
    return PaymentOut(
        payment=payment.name,
        external_ref=payment.wisp_external_ref,
        amount=payment.amount,
        currency=payment.currency_id.name,
        replayed=not created,
        balance_due=balances["balance_due"],
        wallet_balance=balances["wallet_balance"],
    )
