"""The API's request and response bodies (they make the OpenAPI schema)."""

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

REF_MAX = 64
SHORT_MAX = 120


class Error(BaseModel):
    detail: str = Field(description="Why the call was refused.")


class FieldError(BaseModel):
    loc: list[str | int] = Field(description='Where: e.g. ["body", "email"].')
    msg: str
    type: str


class ValidationErrors(BaseModel):
    detail: list[FieldError]


class Plan(BaseModel):
    id: int = Field(description="Pass it as plan_id of a connection request.")
    name: str
    service_type: str
    price: float = Field(description="Price per billing period, taxes included as invoiced.")
    currency: str
    billing_period: str
    download_kbps: int
    upload_kbps: int
    data_cap_gb: int | None = Field(description="Monthly data cap; null: none.")


class ConnectionRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    contact_name: str = Field(min_length=1, max_length=SHORT_MAX)
    email: str = Field(min_length=1, max_length=SHORT_MAX)
    phone: str = Field(min_length=1, max_length=SHORT_MAX)
    street: str = Field(min_length=1, max_length=SHORT_MAX)
    street2: str | None = Field(None, max_length=SHORT_MAX)
    zip: str | None = Field(None, max_length=SHORT_MAX)
    city: str = Field(min_length=1, max_length=SHORT_MAX)
    country_code: str | None = Field(None, min_length=2, max_length=2, description="ISO 3166-1")
    plan_id: int | None = Field(None, description="One of GET /plans.")
    note: str | None = Field(None, max_length=2000)
    latitude: float | None = Field(None, ge=-90, le=90, description="For the coverage check.")
    longitude: float | None = Field(None, ge=-180, le=180)
    external_ref: str | None = Field(
        None,
        max_length=REF_MAX,
        description="Your id of this request: sending it again returns the first one.",
    )


class ConnectionRequestOut(BaseModel):
    reference: str
    status: str
    created: bool = Field(description="False: this request was already submitted.")


class ServiceStatus(BaseModel):
    reference: str
    service_type: str
    plan: str | None
    state: str


class SubscriberStatus(BaseModel):
    subscriber_code: str
    status: str | None = Field(description="The most pressing status of its services.")
    currency: str
    balance_due: float = Field(description="What its posted invoices leave to pay.")
    overdue: float = Field(description="The part of balance_due past its due date.")
    wallet_balance: float = Field(description="Credit not yet used.")
    services: list[ServiceStatus]


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    subscriber_code: str = Field(min_length=1, max_length=REF_MAX)
    amount: Decimal = Field(gt=0, max_digits=12, decimal_places=2)
    currency: str = Field(pattern=r"^[A-Za-z]{3}$", description="ISO 4217, the company's.")
    external_ref: str = Field(
        min_length=1,
        max_length=REF_MAX,
        description="Your id of this payment: a replay of it books nothing.",
    )
    memo: str | None = Field(None, max_length=SHORT_MAX)


class PaymentOut(BaseModel):
    payment: str = Field(description="The payment's number in the accounting.")
    external_ref: str
    amount: float
    currency: str
    replayed: bool = Field(description="True: booked by an earlier call with this external_ref.")
    balance_due: float = Field(description="The subscriber's balance due after it.")
    wallet_balance: float
