"""An example worker serving every action of the workflows shipped with hatchet-cli.

    python examples/worker.py [--name NAME] [--slots N] [--address URL]

Defaults come from the environment: HATCHET_WORKER_NAME (else "example-worker"),
HATCHET_WORKER_SLOTS (else 4), HATCHET_ADDRESS (else http://127.0.0.1:7070) and HATCHET_TOKEN;
HATCHET_LOG_LEVEL (else INFO) sets how much it logs.

The actions are realistic but local: nothing leaves this process. They serve

- `.hatchet/post-user-sign-up.yaml`, and its original form in tests/fixtures/compat/seed/:
  sandbox:create, postmark:email-from-template, newsletter:add-user;
- the upstream examples in tests/fixtures/compat/upstream/: echo:echo and echo:object (simple and
  yaml samples), slack:* (slack channel), timeout:timeout (step, job and schedule timeouts),
  requeue:requeue and print:print (cron).

Ctrl-C (or SIGTERM) lets the running steps finish and deliver their results; a second one exits.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import os
import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from hatchet_cli import Context, Worker

JsonObject = dict[str, Any]


def _fake_id(prefix: str, *parts: object) -> str:
    """A stable id derived from the inputs, as a real service would hand back."""
    digest = hashlib.sha256("\0".join(map(str, parts)).encode()).hexdigest()[:12]
    return f"{prefix}_{digest}"


# -- post-user-sign-up ---------------------------------------------------------------------------


class SandboxRequest(BaseModel):
    owner: str | None = Field(default=None, min_length=1)
    """The email of the user the sandbox is for. The original README's sign-up workflow
    (tests/fixtures/compat/seed/) gives its step no `with:`: the sandbox then has no owner.
    A rendered but empty email is still refused."""


async def create_sandbox(input: SandboxRequest, ctx: Context) -> JsonObject:
    """sandbox:create: provision a sandbox (here: pretend, asynchronously)."""
    ctx.log(f"creating a sandbox for {input.owner or 'nobody in particular'}")
    await asyncio.sleep(0.05)  # the provider's API call
    sandbox_id = _fake_id("sbx", input.owner, ctx.workflow_run_id)
    ctx.log(f"sandbox {sandbox_id} is ready")
    return {"sandboxId": sandbox_id, "owner": input.owner, "region": "local"}


class WelcomeEmail(BaseModel):
    firstName: str = Field(min_length=1)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")


class EmailReceipt(BaseModel):
    messageId: str
    to: str
    template: str


def send_welcome_email(input: WelcomeEmail, ctx: Context) -> EmailReceipt:
    """postmark:email-from-template: a pydantic model in, a pydantic model out."""
    ctx.log(f"rendering the welcome template for {input.firstName}")
    receipt = EmailReceipt(
        messageId=_fake_id("msg", input.email, ctx.step_run_id), to=input.email, template="welcome"
    )
    ctx.log(f"queued message {receipt.messageId} to {input.email}")
    return receipt


class NewSubscriber(BaseModel):
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    newsletter: str = "product-updates"


def add_user_to_newsletter(input: NewSubscriber, ctx: Context) -> JsonObject:
    """newsletter:add-user."""
    ctx.log(f"subscribing {input.email} to {input.newsletter}")
    subscriber_id = _fake_id("sub", input.email, input.newsletter)
    return {"subscriberId": subscriber_id, "newsletter": input.newsletter}


# -- upstream examples ----------------------------------------------------------------------------


def echo(input: JsonObject, ctx: Context) -> JsonObject:
    """echo:echo: the message back, and the whole input as an object for echo:object."""
    message = (input or {}).get("message", "")
    ctx.log(f"echo: {message}")
    return {"message": message, "json": {"message": message}}


def echo_object(input: JsonObject, ctx: Context) -> Any:
    """echo:object: returns its `object` input as is."""
    return (input or {}).get("object")


def create_channel(input: JsonObject, ctx: Context) -> JsonObject:
    """slack:create-channel."""
    name = (input or {}).get("channelName", "onboarding")
    ctx.log(f"creating channel #{name}")
    return {"channelId": _fake_id("C", name, ctx.workflow_run_id), "channelName": name}


def add_users_to_channel(input: JsonObject, ctx: Context) -> JsonObject:
    """slack:add-users-to-channel."""
    channel_id = (input or {}).get("channelId")
    user_ids = list((input or {}).get("userIds") or [])
    ctx.log(f"adding {len(user_ids)} users to {channel_id}")
    return {"channelId": channel_id, "userIds": user_ids}


def send_message(input: JsonObject, ctx: Context) -> JsonObject:
    """slack:send-message."""
    channel_id = (input or {}).get("channelId")
    ctx.log(f"posting to {channel_id}: {(input or {}).get('message', '')}")
    return {"channelId": channel_id, "ts": f"{time.time():.6f}"}


def sleep_until_cancelled(input: JsonObject, ctx: Context) -> JsonObject:
    """timeout:timeout: sleeps `seconds` (default 60) unless the step is cancelled first.

    A sync action cannot be interrupted: it waits on `ctx.cancelled` instead of `time.sleep`.
    """
    seconds = float((input or {}).get("seconds", 60))
    ctx.log(f"sleeping up to {seconds:g}s")
    if ctx.cancelled.wait(seconds):
        ctx.log("cancelled")
        return {"slept": False}  # not sent: the result of a cancelled step is dropped
    return {"slept": True, "seconds": seconds}


def requeue(input: JsonObject, ctx: Context) -> JsonObject:
    """requeue:requeue: the step waited for a worker with this action; this is it."""
    ctx.log(f"picked up on attempt {ctx.attempt}")
    return {"requeued": True, "attempt": ctx.attempt}


def print_step(input: JsonObject, ctx: Context) -> JsonObject:
    """print:print (the cron example)."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    print(f"print:print at {now} (run {ctx.workflow_run_id})", flush=True)
    return {"printedAt": now}


ACTIONS: dict[str, Callable[[Any, Context], Any]] = {
    "sandbox:create": create_sandbox,
    "postmark:email-from-template": send_welcome_email,
    "newsletter:add-user": add_user_to_newsletter,
    "echo:echo": echo,
    "echo:object": echo_object,
    "slack:create-channel": create_channel,
    "slack:add-users-to-channel": add_users_to_channel,
    "slack:send-message": send_message,
    "timeout:timeout": sleep_until_cancelled,
    "requeue:requeue": requeue,
    "print:print": print_step,
}


def build_worker(
    name: str = "example-worker", slots: int = 4, address: str | None = None
) -> Worker:
    """A worker with every action above registered."""
    worker = Worker(name, slots=slots, address=address)
    for action, fn in ACTIONS.items():
        worker.register_action(action, fn)
    return worker


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="An example worker for hatchet-cli's workflows.")
    parser.add_argument("--name", default=os.environ.get("HATCHET_WORKER_NAME", "example-worker"))
    parser.add_argument(
        "--slots", type=int, default=int(os.environ.get("HATCHET_WORKER_SLOTS", "4"))
    )
    parser.add_argument("--address", default=None, help="default: $HATCHET_ADDRESS")
    args = parser.parse_args(argv)
    level = os.environ.get("HATCHET_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    build_worker(args.name, args.slots, args.address).run()


if __name__ == "__main__":
    main()
