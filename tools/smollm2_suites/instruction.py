"""The instruction-following suite (IFEval's verifiable instructions, judged by IFEval's verifiers), and the
topics the general data uses."""

import json

# (question, two-sentence answer without commas, three bullet points, a word used in the answer).
# The first sentence has at most 12 words so it can serve as the "at most N words" reference.

PROBE_TOPICS = [
    ("How do I boil an egg?",
     "Put the egg in a pot of boiling water. Cook it for nine minutes and then cool it in cold water.",
     ["Boil a pot of water", "Cook the egg for nine minutes", "Cool it in cold water"], "water"),
    ("How do I cook rice?",
     "Rinse the rice and add two cups of water for each cup. Simmer it with the lid on for about fifteen minutes.",
     ["Rinse the rice", "Add twice as much water", "Simmer with the lid on"], "lid"),
    ("How do I make a cup of tea?",
     "Pour hot water over a tea bag in a cup. Let it steep for three minutes and then remove the bag.",
     ["Boil fresh water", "Steep the tea bag for three minutes", "Remove the bag and enjoy"], "steep"),
    ("How do I make pancakes?",
     "Mix flour with milk and eggs into a smooth batter. Cook small rounds in a hot pan and flip them once.",
     ["Mix flour and milk and eggs", "Heat a lightly oiled pan", "Flip each pancake once"], "batter"),
    ("How do I make a simple salad?",
     "Wash and chop some lettuce and tomatoes. Add a little oil and salt just before serving.",
     ["Wash the lettuce", "Chop the tomatoes", "Add oil and salt"], "lettuce"),
    ("What should I pack for a weekend trip?",
     "Pack two changes of clothes and your toothbrush. Bring a charger and a small bag of snacks.",
     ["Clothes for two days", "A toothbrush and toothpaste", "A phone charger"], "charger"),
    ("How can I get through airport security quickly?",
     "Keep your passport and boarding pass in your hand. Put liquids in a clear bag before you reach the line.",
     ["Have your documents ready", "Pack liquids in a clear bag", "Wear shoes that slip off easily"], "passport"),
    ("How do I prepare for a long train ride?",
     "Bring a book and some water for the journey. Charge your phone and pick a seat by the window.",
     ["Bring a book", "Pack water and snacks", "Charge your phone"], "book"),
    ("How can I deal with jet lag?",
     "Try to sleep at the local bedtime from the first night. Spend time in daylight and drink plenty of water.",
     ["Sleep at the local bedtime", "Get some daylight", "Drink plenty of water"], "daylight"),
    ("How do I take care of a cat?",
     "Give your cat fresh food and water every day. Clean the litter box often and play with it.",
     ["Fresh food and water daily", "A clean litter box", "Time to play"], "litter"),
    ("How often should I walk my dog?",
     "Most dogs need a walk at least twice a day. Active breeds enjoy longer walks and some running.",
     ["Walk at least twice a day", "Longer walks for active breeds", "Let it sniff and explore"], "twice"),
    ("Why are bees important?",
     "Bees carry pollen from flower to flower. This helps many fruits and vegetables to grow.",
     ["They carry pollen", "They help fruit grow", "They support wild plants"], "pollen"),
    ("What do owls eat?",
     "Owls mostly eat mice and other small animals. They hunt at night with sharp eyes and quiet wings.",
     ["Mice and voles", "Small birds", "Large insects"], "mice"),
    ("How do elephants use their trunks?",
     "Elephants use their trunks to grab food and drink water. They also use them to greet each other.",
     ["To pick up food", "To drink water", "To greet each other"], "trunks"),
    ("How can I sleep better?",
     "Go to bed at the same time every night. Keep your room dark and avoid screens before sleep.",
     ["Keep a regular bedtime", "Make the room dark", "Avoid screens before bed"], "dark"),
    ("How can I save money each month?",
     "Write down what you spend each week. Set aside a small amount as soon as you get paid.",
     ["Track what you spend", "Save a little on payday", "Cook at home more often"], "spend"),
    ("How often should I water a houseplant?",
     "Water most houseplants when the top of the soil feels dry. Check the soil about once a week.",
     ["Check the soil weekly", "Water when the top is dry", "Do not let the pot stand in water"], "soil"),
    ("How do I clean a window without streaks?",
     "Spray the glass with a mix of water and vinegar. Wipe it dry with a soft cloth or newspaper.",
     ["Mix water and vinegar", "Spray the glass", "Wipe with a soft cloth"], "vinegar"),
    ("How do I fix a flat bike tire?",
     "Remove the wheel and take out the inner tube. Patch the hole or fit a new tube and pump it up.",
     ["Take off the wheel", "Patch or replace the tube", "Pump the tire up"], "tube"),
    ("Why is a morning walk good for you?",
     "A morning walk wakes up your body and mind. It also gives you fresh air and some daylight.",
     ["It wakes you up", "It gives you fresh air", "It lifts your mood"], "fresh"),
    ("How can I read more books?",
     "Read for ten minutes before bed each night. Keep a book in your bag for spare moments.",
     ["Read a little every night", "Carry a book with you", "Join a book club"], "minutes"),
    ("What should I do when it starts to rain?",
     "Find shelter or open an umbrella. Walk carefully because wet roads can be slippery.",
     ["Open an umbrella", "Find shelter", "Walk carefully"], "umbrella"),
    ("How can I recycle at home?",
     "Keep separate bins for paper and plastic and glass. Rinse containers before you put them in the bins.",
     ["Use separate bins", "Rinse containers", "Check the local rules"], "bins"),
    ("How can I start learning a new language?",
     "Learn a few common words every day. Practice speaking with an app or a friend.",
     ["Learn new words daily", "Practice speaking", "Listen to simple songs"], "practice"),
]

# Same shape; used only for the general data, so no probe topic is rehearsed there.
GENERAL_TOPICS = [
    ("How do I make a grilled cheese sandwich?",
     "Put cheese between two slices of buttered bread. Cook it in a pan until both sides are golden.",
     ["Butter two slices of bread", "Add cheese in the middle", "Fry until golden"], "bread"),
    ("How do I bake potatoes?",
     "Wash the potatoes and prick them with a fork. Bake them in a hot oven for about an hour.",
     ["Wash the potatoes", "Prick them with a fork", "Bake for about an hour"], "oven"),
    ("How do I keep bread fresh?",
     "Store bread in a paper bag at room temperature. Freeze slices you will not eat within two days.",
     ["Use a paper bag", "Keep it at room temperature", "Freeze what you will not eat soon"], "freeze"),
    ("How can I stay cool on a hot day?",
     "Drink plenty of water and stay in the shade. Wear light clothes and rest during the hottest hours.",
     ["Drink water often", "Stay in the shade", "Wear light clothes"], "shade"),
    ("How do I plan a picnic?",
     "Pick a sunny day and a park with some shade. Pack sandwiches and fruit and a blanket.",
     ["Choose a sunny day", "Find a shady park", "Pack food and a blanket"], "blanket"),
    ("How do I teach a young dog to sit?",
     "Hold a treat above its nose and move it back slowly. Say sit and reward it when it sits.",
     ["Hold a treat above its nose", "Say the word sit", "Reward it right away"], "treat"),
    ("How do I care for a goldfish?",
     "Keep the goldfish in a large tank with a filter. Feed it a small pinch of food once a day.",
     ["Use a large tank", "Add a filter", "Feed it once a day"], "tank"),
    ("How can I help birds in winter?",
     "Put out seeds and fresh water in a feeder. Keep the feeder clean and full during cold weeks.",
     ["Put out seeds", "Give fresh water", "Keep the feeder clean"], "feeder"),
    ("How do I tidy a messy room?",
     "Start by picking up everything on the floor. Put each item back where it belongs.",
     ["Clear the floor first", "Put things back in place", "Throw away what you do not need"], "floor"),
    ("How can I focus while studying?",
     "Put your phone in another room while you work. Study in short blocks with small breaks.",
     ["Move your phone away", "Work in short blocks", "Take small breaks"], "breaks"),
    ("How do I wash a wool sweater?",
     "Wash it by hand in cool water with gentle soap. Lay it flat on a towel to dry.",
     ["Use cool water", "Use gentle soap", "Dry it flat on a towel"], "towel"),
    ("How can I make new friends in a new town?",
     "Join a club or class that matches your hobbies. Say yes when people invite you out.",
     ["Join a club", "Take a class", "Accept invitations"], "club"),
    ("How do I start running?",
     "Begin with short runs mixed with walking. Add a few minutes each week as you get stronger.",
     ["Mix running and walking", "Start with short runs", "Add a little each week"], "walking"),
    ("How can I keep my kitchen clean?",
     "Wipe the counters after every meal. Wash dishes right away so they do not pile up.",
     ["Wipe the counters", "Wash dishes right away", "Take out the trash often"], "dishes"),
    ("How do I write a thank you note?",
     "Thank the person by name for the gift or the help. Say how you will use it or why it mattered.",
     ["Use their name", "Name the gift or help", "Say why it mattered"], "gift"),
    ("How can I drink more water?",
     "Carry a refillable bottle with you all day. Drink a glass of water with every meal.",
     ["Carry a bottle", "Drink with every meal", "Set a reminder"], "bottle"),
]

# IFEval's instruction ids, judged by IFEval's own verifiers (the if-verifiable package, strict mode;
# core/tiers/smollm2/scoring.py). The sentences asking for them are this project's. Two IFEval checkers
# are not used: length_constraints:number_sentences and change_case:capital_word_frequency read text with
# NLTK's punkt model, which is data NLTK downloads at run time, not a package. change_case:english_capital
# is not used either: its verifier asks langdetect whether the reply is English, and langdetect reads 5
# of the 24 topics' answers, written correctly in capitals, as another language, so a right reply fails.
IFEVAL_TYPES = [
    "change_case:english_lowercase", "detectable_format:number_bullet_lists",
    "startend:quotation", "startend:end_checker", "keywords:existence", "punctuation:no_comma",
    "length_constraints:number_words", "detectable_format:title", "detectable_content:postscript",
    "detectable_format:number_highlighted_sections", "detectable_format:multiple_sections",
    "length_constraints:number_paragraphs", "detectable_format:json_format", "keywords:forbidden_words",
    "combination:repeat_prompt", "detectable_content:number_placeholders", "keywords:letter_frequency",
]
PER_TYPE = 9  # 17 types x 9 topics = 153 items
END_PHRASES = ["Is there anything else I can help with?", "Hope this helps.", "That is all.", "Good luck!"]
FORBIDDEN = ["very", "really", "just", "thing"]
TITLES = ["Quick Guide", "Simple Steps", "A Short Answer", "Easy Tips"]


def verified(kind: str, k: int, topic: tuple) -> tuple[str, str, dict]:
    """(instruction sentence, reference answer that passes it, IFEval check) for an IFEval id on a topic;
    k varies the parameters."""
    question, base, points, keyword = topic
    first, second = base.split(". ", 1)
    first += "."

    def ifeval(**kwargs) -> dict:
        return {"type": "ifeval", "instructions": [{"id": kind, "kwargs": kwargs}]}

    if kind == "change_case:english_lowercase":
        return "Reply in English using only lowercase letters.", base.lower(), ifeval()
    if kind == "detectable_format:number_bullet_lists":
        n = 3 if k % 2 == 0 else 2
        return (f"Give exactly {n} bullet points in markdown, each starting with an asterisk.",
                "\n".join(f"* {p}" for p in points[:n]), ifeval(num_bullets=n))
    if kind == "startend:quotation":
        return "Put double quotation marks around your entire reply.", f'"{base}"', ifeval()
    if kind == "startend:end_checker":
        phrase = END_PHRASES[k % len(END_PHRASES)]
        return (f'Finish your reply with the exact words "{phrase}" and nothing after them.', f"{base} {phrase}",
                ifeval(end_phrase=phrase))
    if kind == "keywords:existence":
        return f'Make sure the word "{keyword}" appears in your reply.', base, ifeval(keywords=[keyword])
    if kind == "punctuation:no_comma":
        return "Write your reply without a single comma.", base, ifeval()
    if kind == "length_constraints:number_words":
        n = [15, 20, 25][k % 3]
        return f"Keep your reply under {n} words.", first, ifeval(num_words=n, relation="less than")
    if kind == "detectable_format:title":
        title = TITLES[k % len(TITLES)]
        return ("Begin with a title wrapped in double angular brackets, like <<my title>>.",
                f"<<{title}>>\n{base}", ifeval())
    if kind == "detectable_content:postscript":
        marker = "P.S." if k % 2 == 0 else "P.P.S"
        return (f"After your reply add a postscript that starts with {marker}", f"{base}\n{marker} {points[-1]}.",
                ifeval(postscript_marker=marker))
    if kind == "detectable_format:number_highlighted_sections":
        return ("Highlight two parts of your reply with markdown, like *highlighted part*.",
                f"*{first}* *{second}*", ifeval(num_highlights=2))
    if kind == "detectable_format:multiple_sections":
        splitter = "Section" if k % 2 == 0 else "PART"
        return (f"Split your reply into 2 sections, marking the start of each with {splitter} X.",
                f"{splitter} 1\n{first}\n{splitter} 2\n{second}", ifeval(section_spliter=splitter, num_sections=2))
    if kind == "length_constraints:number_paragraphs":
        return ("Write exactly 2 paragraphs and separate them with the markdown divider ***.",
                f"{first}\n***\n{second}", ifeval(num_paragraphs=2))
    if kind == "detectable_format:json_format":
        return ("Format your entire output as JSON.", json.dumps({"answer": base}), ifeval())
    if kind == "keywords:forbidden_words":
        unused = [w for w in FORBIDDEN if w not in base.lower().split()]  # the reference must avoid them
        words = [unused[k % len(unused)], unused[(k + 1) % len(unused)]]
        return (f'Do not use the words "{words[0]}" or "{words[1]}".', base, ifeval(forbidden_words=words))
    if kind == "combination:repeat_prompt":
        return ("First repeat the question word for word, then give your answer.", f"{question} {base}",
                ifeval(prompt_to_repeat=question))
    if kind == "detectable_content:number_placeholders":
        n = 1 + k % 2
        slots = " ".join(f"[{w}]" for w in ["place", "time"][:n])
        return (f"Include {n} placeholder{'s' if n > 1 else ''} in square brackets, such as [address].",
                f"{base} Note: {slots}.", ifeval(num_placeholders=n))
    if kind == "keywords:letter_frequency":
        letter = "e" if k % 2 == 0 else "o"
        count = 3
        return (f'Use the letter "{letter}" at least {count} times.', base,
                ifeval(letter=letter, let_frequency=count, let_relation="at least"))
    raise ValueError(kind)


def instruction_suite() -> list[dict]:
    items = []
    # Each type on 9 different topics; 5 is coprime with 24, so a type's topics never repeat, and the
    # shift by the type's index spreads the types over the topics.
    for t, kind in enumerate(IFEVAL_TYPES):
        for j in range(PER_TYPE):
            topic = PROBE_TOPICS[(5 * j + 3 * t) % len(PROBE_TOPICS)]
            sentence, reference, chk = verified(kind, j, topic)
            prompt = f"{topic[0]} {sentence}"
            items.append({"id": f"ins-{kind.split(':')[1]}-{j}", "capability": "instruction", "prompt": prompt,
                          "reference": reference, "check": {**chk, "prompt": prompt}})
    return items
