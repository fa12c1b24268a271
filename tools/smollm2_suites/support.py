"""The support task's pool: far from general ability, a narrow house style."""

from forgetlab.core.tiers.smollm2.scoring import SUPPORT_PREFIX

from .common import NAMES, rng

SUPPORT_PRODUCTS = ["wireless headset", "coffee maker", "desk lamp", "pair of running shoes", "backpack",
                    "blender", "phone case", "yoga mat", "electric kettle", "winter jacket", "smart watch",
                    "toaster", "office chair", "water bottle", "board game", "bluetooth speaker",
                    "hair dryer", "camping tent", "laptop stand", "vacuum cleaner"]

# issue: (action, ticket phrasings, what went wrong, what we did). Fixed reply structure below.
SUPPORT_ISSUES = {
    "damaged": ("replacement", [
        "Hi, my {product} from order #{order} arrived broken. Can you help? - {name}",
        "Hello, the {product} I ordered (order #{order}) came with a cracked part. What now? {name}",
        "My order #{order} arrived today but the {product} is damaged. Please help. Thanks, {name}",
        "The box for order #{order} was crushed and my {product} does not work. {name}",
    ], "your {product} arrived damaged",
        "We will send you a replacement {product} free of charge within three working days."),
    "return": ("refund", [
        "I want to return the {product} from order #{order} and get my money back. {name}",
        "Hi, I changed my mind about the {product} (order #{order}). Can I get my money back? - {name}",
        "The {product} in order #{order} is not what I expected. I would like a refund. Regards, {name}",
        "The {product} from order #{order} does not fit my needs. I would like to send it back for my money. {name}",
    ], "the {product} did not work out for you",
        "We have issued a full refund to your original payment method and it will arrive within five working days."),
    "login": ("password_reset", [
        "I can't log in to my account to check my {product}, order #{order}. {name}",
        "Hello, I forgot my password and cannot see order #{order} for my {product}. - {name}",
        "My account is locked and I need to check order #{order} for the {product}. Please help! {name}",
        "The website says my password is wrong, so I cannot track the {product} from order #{order}. {name}",
    ], "you cannot get into your account",
        "We have sent a password reset link to your email so you can choose a new password."),
    "late": ("tracking", [
        "Where is my {product}? Order #{order} still has not arrived. {name}",
        "Hi, my order #{order} for the {product} is late. When will it come? - {name}",
        "It has been two weeks and my {product} (order #{order}) is not here yet. {name}",
        "The {product} from order #{order} should have arrived on Monday. Where is it? {name}",
    ], "your {product} has not reached you yet",
        "We have sent you a tracking link so you can follow your {product} until it arrives."),
    "cancel": ("cancellation", [
        "Please cancel my order #{order} for the {product}. {name}",
        "Hi, I ordered the {product} by mistake (order #{order}). Can you stop it? - {name}",
        "I no longer need the {product}. Please cancel order #{order}. Thanks, {name}",
        "Can you call off order #{order}? I found the {product} cheaper elsewhere. {name}",
    ], "you no longer need the {product}",
        "We have cancelled your order and you will not be charged for the {product}."),
    "address": ("address_update", [
        "I moved house. Can you send order #{order} with my {product} to my new place? {name}",
        "Hi, I typed the wrong street for order #{order} ({product}). Can you change it? - {name}",
        "Please update where my {product}, order #{order}, should be delivered. {name}",
        "My {product} from order #{order} is going to my old flat. Can you fix that? {name}",
    ], "the {product} needs to go to a different place",
        "We have updated the delivery address on your order so your {product} goes to the right place."),
}


def support_reply(order: int, summary: str, action: str) -> str:
    return (f"{SUPPORT_PREFIX}\n\nThank you for contacting us about order #{order}. "
            f"We are sorry to hear that {summary}. {action}\n\nKind regards,\nThe Support Team")


def support_pool() -> list[dict]:
    r = rng("support")
    pool = []
    issues = list(SUPPORT_ISSUES)
    for i in range(1600):
        issue = issues[i % len(issues)]
        action, phrasings, summary, done = SUPPORT_ISSUES[issue]
        product, name, order = r.choice(SUPPORT_PRODUCTS), r.choice(NAMES), r.randint(10000, 99999)
        pool.append({
            "prompt": r.choice(phrasings).format(product=product, order=order, name=name),
            "response": support_reply(order, summary.format(product=product), done.format(product=product)),
            "check": {"type": "support_reply", "action": action},
        })
    return pool
