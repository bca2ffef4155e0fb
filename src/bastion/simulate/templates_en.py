"""English text templates: benign chatter and tame, clearly synthetic violating posts.

Hateful templates name fictional groups only (`{group}`); real hateful speech comes from HateXplain.
A template's `{slot}`s are filled from `SLOTS_EN`, then from `SHARED_SLOTS`.
"""

from __future__ import annotations

BANK_EN: dict[str, tuple[str, ...]] = {
    "benign": (
        "Just finished {activity} and now it's {food} time {emoji}",
        "Anyone else watching the {team} game tonight? {emoji}",
        "Happy birthday to my {relative}! Love you {emoji}",
        "Traffic downtown in {city} is terrible again this morning",
        "Finally tried that new {food} place in {city}, 10/10 would go again",
        "Reading {book} this week, any recommendations for what next?",
        "Can't believe it's already {month}. Where did the year go?",
        "My {pet} refuses to get off the couch {emoji}",
        "Shoutout to the nurses at {city} General, you are amazing",
        "Rain all week in {city}, send sunshine {emoji}",
        "New blog post up: {n} tips for {activity} on a budget",
        "Looking for a good {service} in {city}, any tips?",
        "Our community garden harvested {n} kg of tomatoes today {emoji}",
        "Coffee number {n} of the day. Send help {emoji}",
        "Watching the sunset from {place}, not a bad way to end the day",
        "Big congratulations to the class of {year}! {emoji}",
        "Who else is going to the {event} this weekend?",
        "Made {food} from scratch for the first time and it actually worked",
        "Lost my keys again. Third time this {period}.",
        "The {team} really need a new coach after that performance",
        "Thank you all for {n}k followers, you are the best {emoji}",
        "Does anyone know if {place} is open on Sundays?",
        "Throwback to {place} last summer {emoji}",
        "Working from home today, my {pet} is my new coworker",
        "Volunteering at the {event} this Saturday, come say hi",
        "Day {n} of learning to play the guitar. My neighbours hate me {emoji}",
        "That {team} comeback was unreal, still shaking",
        "Hot take: {food} is better cold the next morning",
    ),
    "listing": (
        "Selling my {item}, barely used, {price} {currency}. Pickup in {city}.",
        "{item} for sale, good condition, {price} {currency} or best offer",
        "Free {item} to a good home, must collect this week from {city}",
        "Moving sale: {item} and more, {price} {currency} each. DM for details.",
    ),
    "profile": (
        "{job} | {hobby} lover | {city}",
        "Proud {relative}. {job}. Views my own.",
        "{job} based in {city}. Into {hobby} and {activity}.",
    ),
    "hate": (
        "The {group} are ruining this country and should all be sent back where they came from",
        "Never hire a {group}, they are all liars and thieves",
        "{group} don't belong here. Keep them out of our neighbourhood #{tag}",
        "Every problem in {city} started when the {group} moved in",
    ),
    "dehumanization": (
        "The {group} are vermin and they breed like rats",
        "Those {group} animals are an infestation in our city #{tag}",
        "{group} are parasites, not people",
    ),
    "harassment": (
        "<user> you are pathetic and everyone at school laughs at you",
        "@{handle} nobody wants you here, delete your account",
        "@{handle} you're so ugly it hurts to look at your pictures",
        "@{handle} I'll keep making new accounts until you quit, loser",
        "<user> shut up already, no one asked for your opinion, you clown",
    ),
    "spam": (
        "Follow me and I follow back!! {emoji} {url}",
        "Get {n}k followers FAST, guaranteed, visit {url}",
        "Check my profile for FREE gift cards {emoji}{emoji} {url}",
        "Best deals on {item} only today!!! {url}",
        "Hot singles in {city} want to meet you {emoji} {url}",
    ),
    "scams": (
        "Congratulations! You won a {brand} gift card worth ${n}00. Claim now at {url}",
        "Invest ${n}00 today and get ${n}000 back in 48 hours, guaranteed. DM me",
        "Hi dear, I am a {job} stuck abroad, please send {n}0 USD in gift cards, I will repay double",
        "Your {brand} account is locked. Verify your card here: {url}",
        "Brand new {item} for only {n} dollars, pay by wire transfer only, no refunds",
    ),
    "election_misinformation": (
        "BREAKING: the election in {city} was rigged, {n}k fake ballots found. Share before they delete this",
        "Reminder: this year you can vote by text message, just send your name to {n}{n}0",
        "Polling stations in {city} are closed tomorrow because of the storm, stay home",
    ),
    "health_misinformation": (
        "Doctors don't want you to know: a spoon of {remedy} cures {illness} in {n} days",
        "The {illness} vaccine contains microchips, do your own research",
        "5G towers are causing the {illness} outbreak in {city}, wake up people",
    ),
    "self_harm": (
        "I don't see the point of anything anymore. Nobody would even notice if I disappeared",
        "Day {n} of hurting myself, it's the only thing that helps",
        "Tired of everything. I don't think I'll still be here next week",
    ),
    "drugs": (
        "Selling {drug}, no prescription needed, discreet shipping, DM for prices",
        "Vapes and {drug} for under-18s, no ID check {emoji}",
        "{drug} in stock, {n} pills for {price} {currency}, message me",
    ),
    "weapons": (
        "Unregistered handguns available, cash only, {city} pickup",
        "Ghost gun kits, no serial numbers, ships today {emoji}",
        "Selling my old rifle, no background check needed, DM me",
    ),
}

SLOTS_EN: dict[str, tuple[str, ...]] = {
    "city": ("Chicago", "Houston", "London", "Manchester", "Lagos", "Mumbai", "Delhi", "Seattle", "Denver", "Leeds"),
    "food": ("pizza", "tacos", "ramen", "jollof rice", "curry", "pancakes", "sushi", "burgers", "banana bread"),
    "activity": ("running", "gardening", "studying", "cooking", "painting", "cycling", "hiking", "yoga"),
    "team": ("Lakers", "Arsenal", "Chelsea", "Yankees", "Super Eagles", "Cowboys", "Warriors"),
    "relative": ("mom", "sister", "brother", "grandma", "best friend", "dad", "little cousin"),
    "pet": ("dog", "cat", "parrot", "rabbit", "puppy"),
    "month": ("March", "June", "September", "December"),
    "place": ("the beach", "the lake", "the old pier", "the rooftop bar", "the city park", "the library"),
    "event": ("farmers market", "book fair", "street festival", "charity run", "county fair"),
    "service": ("dentist", "plumber", "mechanic", "barber", "vet"),
    "period": ("week", "month"),
    "year": ("2026", "2027", "2028"),
    "item": ("bike", "couch", "phone", "desk", "guitar", "camera", "stroller", "games console"),
    "currency": ("dollars", "pounds"),
    "job": ("Teacher", "Nurse", "Software engineer", "Designer", "Student", "Photographer", "Chef"),
    "hobby": ("hiking", "coffee", "film", "football", "baking", "vinyl"),
    "book": ("a new thriller", "a history book", "some poetry", "a sci-fi classic"),
    "illness": ("flu", "diabetes", "measles", "covid"),
    "drug": ("oxycodone", "Xanax", "Adderall", "codeine"),
    "remedy": ("honey", "vinegar", "turmeric", "baking soda"),
}

SHARED_SLOTS: dict[str, tuple[str, ...]] = {
    "n": tuple(str(n) for n in (2, 3, 4, 5, 7, 8, 10, 12, 15, 20, 25, 30, 40, 50)),
    "price": tuple(str(p) for p in (15, 20, 35, 50, 80, 120, 150, 200, 350, 500)),
    "emoji": ("😂", "🙌", "❤️", "🔥", "😍", "🙏", "✨", "🎉", "😅", "👀", "💯"),
    "url": (
        "https://bit.ly/3kQz9Xa",
        "https://tinyurl.com/win-big-now",
        "https://free-followers.example/go",
        "https://promo-deals.example/today",
        "https://gift-claim.example/r/77",
        "https://cutt.ly/qW3rT9",
    ),
    "tag": ("StopTheInvasion", "SaveOurTowns", "WakeUp", "KeepThemOut", "NotOurPeople"),
    "handle": ("jess_m", "kev.r", "ana_luz", "tomi99", "the_real_sam", "mira.k", "dj_okoro", "lena_b"),
    "brand": ("ShopNow", "MegaMart", "PayQuick", "StreamFlix", "CoinVault"),
    # Fictional groups: synthetic hate never names a real community.
    "group": ("Varlani", "Drekkans", "Ostrovi", "Quellites", "Marrowfolk", "Tesserans"),
}
