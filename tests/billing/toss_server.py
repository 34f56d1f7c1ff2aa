"""A local Toss Payments server speaking the endpoints we call, as Toss documents them: Basic auth with the
secret key and a colon; billing keys from card authorizations; recurring charges; cancellations; payments read
back by key. Errors come as `{"code", "message"}` with Toss's codes."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

KST = timezone(timedelta(hours=9))


@dataclass
class TossServer:
    secret_key: str
    authorizations: dict[str, str] = field(default_factory=dict)
    """authKey → customerKey: cards registered in Toss's window, waiting to become billing keys."""
    billing_keys: dict[str, str] = field(default_factory=dict)  # billingKey → customerKey
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    declined_customers: set[str] = field(default_factory=set)
    charges: list[dict[str, Any]] = field(default_factory=list)
    by_idempotency: dict[str, dict[str, Any]] = field(default_factory=dict)

    def register_card(self, customer_key: str) -> str:
        """What Toss's card window does in the browser: an authKey for this customer."""
        auth_key = f"auth_{secrets.token_hex(8)}"
        self.authorizations[auth_key] = customer_key
        return auth_key

    def app(self) -> Starlette:
        def authorized(request: Request) -> bool:
            expected = "Basic " + base64.b64encode(f"{self.secret_key}:".encode()).decode()
            return request.headers.get("authorization") == expected

        def error(status: int, code: str, message: str) -> Response:
            return JSONResponse({"code": code, "message": message}, status_code=status)

        async def issue(request: Request) -> Response:
            if not authorized(request):
                return error(401, "UNAUTHORIZED_KEY", "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다.")
            body = await request.json()
            customer = self.authorizations.pop(body.get("authKey", ""), None)
            if customer is None or customer != body.get("customerKey"):
                return error(400, "INVALID_AUTH_KEY", "유효하지 않은 authKey 입니다.")
            billing_key = f"bk_{secrets.token_hex(12)}"
            self.billing_keys[billing_key] = customer
            return JSONResponse(
                {
                    "mId": "tosspayments",
                    "customerKey": customer,
                    "authenticatedAt": datetime.now(KST).isoformat(),
                    "method": "카드",
                    "billingKey": billing_key,
                    "cardCompany": "현대",
                    "cardNumber": "43301234****123*",
                    "card": {
                        "issuerCode": "61",
                        "acquirerCode": "31",
                        "number": "43301234****123*",
                        "cardType": "신용",
                    },
                }
            )

        async def charge(request: Request) -> Response:
            if not authorized(request):
                return error(401, "UNAUTHORIZED_KEY", "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다.")
            key = request.headers.get("idempotency-key")
            if key and key in self.by_idempotency:
                return JSONResponse(self.by_idempotency[key])
            body = await request.json()
            customer = self.billing_keys.get(request.path_params["billing_key"])
            if customer is None or customer != body.get("customerKey"):
                return error(404, "NOT_FOUND_BILLING_KEY", "빌링키가 존재하지 않습니다.")
            if customer in self.declined_customers:
                return error(403, "REJECT_CARD_PAYMENT", "한도초과 혹은 잔액부족으로 결제에 실패했습니다.")
            self.charges.append(body)
            payment = {
                "paymentKey": f"tpk_{secrets.token_hex(12)}",
                "orderId": body["orderId"],
                "orderName": body["orderName"],
                "status": "DONE",
                "method": "카드",
                "totalAmount": body["amount"],
                "balanceAmount": body["amount"],
                "currency": "KRW",
                "requestedAt": datetime.now(KST).isoformat(),
                "approvedAt": datetime.now(KST).isoformat(),
                "cancels": None,
            }
            self.payments[payment["paymentKey"]] = payment
            if key:
                self.by_idempotency[key] = payment
            return JSONResponse(payment)

        async def cancel(request: Request) -> Response:
            if not authorized(request):
                return error(401, "UNAUTHORIZED_KEY", "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다.")
            payment = self.payments.get(request.path_params["payment_key"])
            if payment is None:
                return error(404, "NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다.")
            if payment["status"] == "CANCELED":
                return error(400, "ALREADY_CANCELED_PAYMENT", "이미 취소된 결제 입니다.")
            body = await request.json()
            payment["status"] = "CANCELED"
            payment["balanceAmount"] = 0
            payment["cancels"] = [{"cancelAmount": payment["totalAmount"], "cancelReason": body.get("cancelReason")}]
            return JSONResponse(payment)

        async def read(request: Request) -> Response:
            if not authorized(request):
                return error(401, "UNAUTHORIZED_KEY", "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다.")
            payment = self.payments.get(request.path_params["payment_key"])
            if payment is None:
                return error(404, "NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다.")
            return JSONResponse(payment)

        return Starlette(
            routes=[
                Route("/v1/billing/authorizations/issue", issue, methods=["POST"]),
                Route("/v1/billing/{billing_key}", charge, methods=["POST"]),
                Route("/v1/payments/{payment_key}/cancel", cancel, methods=["POST"]),
                Route("/v1/payments/{payment_key}", read, methods=["GET"]),
            ]
        )
