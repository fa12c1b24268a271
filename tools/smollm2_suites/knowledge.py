"""The knowledge suite: factual questions with four options, scored by likelihood (no generation).

Each item's prompt names its four options; the model's choice is the option whose tokens, as the
assistant's answer, have the highest summed log-likelihood (worker/engine/choice.py). Half the items
are held out of every training pool by a hash of their id; no correct option occurs anywhere in the
general data or the self-rehearsal prompts (tests/core/test_smollm2_pool_disjoint.py).

Distractors come from the same category as the answer (another capital for a capital, another author
for an author), drawn with a generator seeded by the item's id, and the options are shuffled the same
way; the right option stands first, second, third and fourth in turn. A rebuild gives the same bytes.
"""

from .common import knowledge_split, rng

# (country, capital); distractors are other capitals of this table.
CAPITALS = [
    ("France", "Paris"), ("Japan", "Tokyo"), ("Italy", "Rome"), ("Spain", "Madrid"), ("Germany", "Berlin"),
    ("Egypt", "Cairo"), ("Canada", "Ottawa"), ("Australia", "Canberra"), ("Russia", "Moscow"),
    ("Kenya", "Nairobi"), ("Norway", "Oslo"), ("Greece", "Athens"), ("Portugal", "Lisbon"),
    ("Ireland", "Dublin"), ("Argentina", "Buenos Aires"), ("Peru", "Lima"), ("Thailand", "Bangkok"),
    ("South Korea", "Seoul"), ("Poland", "Warsaw"), ("Sweden", "Stockholm"), ("China", "Beijing"),
    ("Austria", "Vienna"), ("Cuba", "Havana"), ("Turkey", "Ankara"), ("the Netherlands", "Amsterdam"),
    ("Belgium", "Brussels"), ("Denmark", "Copenhagen"), ("Finland", "Helsinki"), ("Hungary", "Budapest"),
    ("the Czech Republic", "Prague"), ("Switzerland", "Bern"), ("Iceland", "Reykjavik"),
    ("Romania", "Bucharest"), ("Bulgaria", "Sofia"), ("Croatia", "Zagreb"), ("Serbia", "Belgrade"),
    ("Ukraine", "Kyiv"), ("Iran", "Tehran"), ("Iraq", "Baghdad"), ("Saudi Arabia", "Riyadh"),
    ("Pakistan", "Islamabad"), ("India", "New Delhi"), ("Bangladesh", "Dhaka"), ("Vietnam", "Hanoi"),
    ("the Philippines", "Manila"), ("Indonesia", "Jakarta"), ("Malaysia", "Kuala Lumpur"),
    ("Nepal", "Kathmandu"), ("Mongolia", "Ulaanbaatar"), ("Chile", "Santiago"), ("Colombia", "Bogota"),
    ("Venezuela", "Caracas"), ("Ecuador", "Quito"), ("Uruguay", "Montevideo"), ("Nigeria", "Abuja"),
    ("Ghana", "Accra"), ("Ethiopia", "Addis Ababa"), ("Morocco", "Rabat"), ("Senegal", "Dakar"),
    ("Algeria", "Algiers"), ("New Zealand", "Wellington"), ("Jamaica", "Kingston"), ("Brazil", "Brasilia"),
    ("Mexico", "Mexico City"),
]

# (symbol, element); distractors are other elements of this table.
ELEMENTS = [
    ("Au", "gold"), ("Ag", "silver"), ("Fe", "iron"), ("Cu", "copper"), ("Na", "sodium"), ("K", "potassium"),
    ("Ca", "calcium"), ("C", "carbon"), ("N", "nitrogen"), ("O", "oxygen"), ("H", "hydrogen"),
    ("He", "helium"), ("Ne", "neon"), ("S", "sulfur"), ("Zn", "zinc"), ("Hg", "mercury"),
    ("Mg", "magnesium"), ("Cl", "chlorine"), ("U", "uranium"), ("Ni", "nickel"), ("Sn", "tin"),
]

# (work, author); distractors are other authors of this table.
BOOKS = [
    ("Romeo and Juliet", "William Shakespeare"), ("the Harry Potter books", "J. K. Rowling"),
    ("the novel 1984", "George Orwell"), ("Pride and Prejudice", "Jane Austen"),
    ("Don Quixote", "Miguel de Cervantes"), ("War and Peace", "Leo Tolstoy"),
    ("The Adventures of Tom Sawyer", "Mark Twain"), ("Oliver Twist", "Charles Dickens"),
    ("The Old Man and the Sea", "Ernest Hemingway"), ("the novel Frankenstein", "Mary Shelley"),
    ("Dracula", "Bram Stoker"), ("Moby-Dick", "Herman Melville"), ("The Hobbit", "J. R. R. Tolkien"),
    ("The Great Gatsby", "F. Scott Fitzgerald"), ("To Kill a Mockingbird", "Harper Lee"),
    ("Crime and Punishment", "Fyodor Dostoevsky"), ("Les Miserables", "Victor Hugo"),
    ("the Divine Comedy", "Dante Alighieri"), ("Jane Eyre", "Charlotte Bronte"),
    ("Little Women", "Louisa May Alcott"), ("Alice's Adventures in Wonderland", "Lewis Carroll"),
    ("the poem The Raven", "Edgar Allan Poe"), ("the Sherlock Holmes stories", "Arthur Conan Doyle"),
    ("Treasure Island", "Robert Louis Stevenson"), ("The Jungle Book", "Rudyard Kipling"),
    ("Murder on the Orient Express", "Agatha Christie"), ("Brave New World", "Aldous Huxley"),
    ("The Canterbury Tales", "Geoffrey Chaucer"), ("The Time Machine", "H. G. Wells"),
    ("Robinson Crusoe", "Daniel Defoe"), ("Gulliver's Travels", "Jonathan Swift"),
    ("The Little Prince", "Antoine de Saint-Exupery"), ("One Hundred Years of Solitude", "Gabriel Garcia Marquez"),
]

# (slug, question, answer); distractors are other answers of the same list.
PAINTERS = [
    ("mona-lisa", "Who painted the Mona Lisa?", "Leonardo da Vinci"),
    ("starry-night", "Who painted The Starry Night?", "Vincent van Gogh"),
    ("sistine-ceiling", "Who painted the ceiling of the Sistine Chapel?", "Michelangelo"),
    ("guernica", "Who painted Guernica?", "Pablo Picasso"),
    ("water-lilies", "Which painter is famous for his many paintings of water lilies?", "Claude Monet"),
    ("pearl-earring", "Who painted Girl with a Pearl Earring?", "Johannes Vermeer"),
    ("the-scream", "Who painted The Scream?", "Edvard Munch"),
    ("birth-venus", "Who painted The Birth of Venus?", "Sandro Botticelli"),
    ("melting-clocks", "Which painter is famous for melting clocks in The Persistence of Memory?", "Salvador Dali"),
    ("night-watch", "Who painted The Night Watch?", "Rembrandt"),
]
COMPOSERS = [
    ("fifth-symphony", "Which composer wrote the Fifth Symphony that opens with four famous notes?", "Ludwig van Beethoven"),
    ("magic-flute", "Who composed the opera The Magic Flute?", "Wolfgang Amadeus Mozart"),
    ("four-seasons", "Who composed The Four Seasons violin concertos?", "Antonio Vivaldi"),
    ("swan-lake", "Who composed the ballet Swan Lake?", "Pyotr Tchaikovsky"),
    ("brandenburg", "Who composed the Brandenburg Concertos?", "Johann Sebastian Bach"),
    ("messiah", "Who composed the oratorio Messiah?", "George Frideric Handel"),
    ("blue-danube", "Who composed the waltz The Blue Danube?", "Johann Strauss II"),
    ("nocturnes-piano", "Which Polish composer is famous for his piano nocturnes and mazurkas?", "Frederic Chopin"),
]
SCIENTISTS = [
    ("relativity", "Which scientist developed the theory of relativity?", "Albert Einstein"),
    ("penicillin", "Who discovered penicillin?", "Alexander Fleming"),
    ("falling-apple", "Which scientist described gravity after thinking about a falling apple?", "Isaac Newton"),
    ("natural-selection", "Which scientist proposed evolution by natural selection?", "Charles Darwin"),
    ("radioactivity", "Which scientist won Nobel Prizes in physics and chemistry for work on radioactivity?",
     "Marie Curie"),
    ("telephone", "Who is usually credited with inventing the telephone?", "Alexander Graham Bell"),
    ("light-bulb", "Which American inventor is famous for his electric light bulb?", "Thomas Edison"),
    ("sun-centre", "Which astronomer proposed that the Earth moves around the Sun?", "Nicolaus Copernicus"),
    ("pea-plants", "Which monk worked out the laws of inheritance from pea plants?", "Gregor Mendel"),
    ("periodic-table", "Which chemist arranged the elements into the periodic table?", "Dmitri Mendeleev"),
    ("milk-heating", "Which scientist invented a way of heating milk to kill germs?", "Louis Pasteur"),
    ("web-inventor", "Who invented the World Wide Web?", "Tim Berners-Lee"),
    ("dynamite", "Who invented dynamite and founded a famous set of prizes?", "Alfred Nobel"),
    ("jupiter-moons", "Which astronomer first saw four moons of Jupiter through a telescope?", "Galileo Galilei"),
]
EXPLORERS_LEADERS = [
    ("moon-walk", "Who was the first person to walk on the Moon?", "Neil Armstrong"),
    ("first-in-space", "Who was the first person to travel into space?", "Yuri Gagarin"),
    ("atlantic-1492", "Which explorer crossed the Atlantic in 1492?", "Christopher Columbus"),
    ("round-world", "Which explorer led the first voyage around the world?", "Ferdinand Magellan"),
    ("first-us-president", "Who was the first President of the United States?", "George Washington"),
    ("emancipation", "Which American president issued the Emancipation Proclamation?", "Abraham Lincoln"),
    ("salt-march", "Who led India's independence movement through non-violent protest?", "Mahatma Gandhi"),
    ("mandela", "Who became South Africa's first Black president in 1994?", "Nelson Mandela"),
    ("dream-speech", "Who gave the 'I Have a Dream' speech in 1963?", "Martin Luther King Jr."),
    ("atlantic-solo-woman", "Who was the first woman to fly solo across the Atlantic?", "Amelia Earhart"),
    ("south-pole", "Who led the first expedition to reach the South Pole?", "Roald Amundsen"),
    ("silk-road", "Which Venetian traveller wrote about his journey to China in the 1200s?", "Marco Polo"),
]

# (country, currency); distractors are other currencies of this table.
CURRENCIES = [
    ("Japan", "yen"), ("the United Kingdom", "pound sterling"), ("India", "rupee"), ("China", "yuan"),
    ("Russia", "ruble"), ("Mexico", "peso"), ("Switzerland", "Swiss franc"), ("South Africa", "rand"),
    ("Turkey", "lira"), ("Poland", "zloty"), ("Thailand", "baht"), ("Sweden", "krona"),
    ("the United States", "US dollar"), ("Germany", "euro"),
]

# (country, main language); distractors are other languages of this table.
LANGUAGES = [
    ("Brazil", "Portuguese"), ("Mexico", "Spanish"), ("Egypt", "Arabic"), ("Iran", "Persian"),
    ("the Netherlands", "Dutch"), ("Austria", "German"), ("Israel", "Hebrew"), ("Kenya", "Swahili"),
    ("Pakistan", "Urdu"), ("Ethiopia", "Amharic"), ("Haiti", "Haitian Creole"), ("Greece", "Greek"),
]

CONTINENTS = ["Africa", "Asia", "Europe", "North America", "South America", "Oceania"]
COUNTRY_CONTINENT = [
    ("Mali", "Africa"), ("Madagascar", "Africa"), ("Zambia", "Africa"), ("Laos", "Asia"), ("Cambodia", "Asia"),
    ("Uzbekistan", "Asia"), ("Latvia", "Europe"), ("Slovakia", "Europe"), ("Estonia", "Europe"),
    ("Honduras", "North America"), ("Guatemala", "North America"), ("Panama", "North America"),
    ("Paraguay", "South America"), ("Bolivia", "South America"), ("Guyana", "South America"),
    ("Fiji", "Oceania"), ("Samoa", "Oceania"), ("Tonga", "Oceania"),
]

# (slug, question, answer, three distractors): hand-written facts whose distractors fit the question.
FACTS = [
    ("closest-planet", "Which planet is closest to the Sun?", "Mercury", ["Venus", "Mars", "Jupiter"]),
    ("largest-planet", "What is the largest planet in our solar system?", "Jupiter", ["Saturn", "Neptune", "Mars"]),
    ("red-planet", "Which planet is known as the Red Planet?", "Mars", ["Venus", "Jupiter", "Mercury"]),
    ("ringed-planet", "Which planet is famous for its large bright rings?", "Saturn", ["Mars", "Venus", "Mercury"]),
    ("second-planet", "Which planet is second from the Sun?", "Venus", ["Mars", "Saturn", "Neptune"]),
    ("farthest-planet", "Which planet is farthest from the Sun?", "Neptune", ["Mars", "Venus", "Saturn"]),
    ("hardest-substance", "What is the hardest natural substance?", "diamond", ["quartz", "granite", "marble"]),
    ("plants-gas", "Which gas do plants take in from the air to make food?", "carbon dioxide",
     ["helium", "argon", "methane"]),
    ("plants-sunlight", "What is the process called by which plants make food from sunlight?", "photosynthesis",
     ["digestion", "evaporation", "fermentation"]),
    ("rock-scientist", "What is a scientist who studies rocks called?", "geologist",
     ["astronomer", "botanist", "zoologist"]),
    ("star-scientist", "What is a scientist who studies stars and planets called?", "astronomer",
     ["geologist", "botanist", "chemist"]),
    ("falling-force", "What force makes objects fall to the ground?", "gravity", ["magnetism", "friction", "static"]),
    ("current-unit", "In which unit is electric current measured?", "ampere", ["kilogram", "litre", "kelvin"]),
    ("power-unit", "In which unit is electrical power measured?", "watt", ["metre", "gram", "second"]),
    ("resistance-unit", "In which unit is electrical resistance measured?", "ohm", ["joule", "lumen", "pascal"]),
    ("water-formula", "What is the chemical formula of water?", "H2O", ["CO2", "NaCl", "CH4"]),
    ("table-salt", "What is the chemical name of table salt?", "sodium chloride",
     ["calcium carbonate", "potassium nitrate", "magnesium sulfate"]),
    ("spider-legs", "How many legs does a spider have?", "eight", ["six", "ten", "four"]),
    ("insect-legs", "How many legs does an insect have?", "six", ["eight", "four", "ten"]),
    ("hexagon-sides", "How many sides does a hexagon have?", "six", ["five", "seven", "eight"]),
    ("octagon-sides", "How many sides does an octagon have?", "eight", ["six", "ten", "twelve"]),
    ("octopus-arms", "How many arms does an octopus have?", "eight", ["six", "ten", "four"]),
    ("heart-chambers", "How many chambers does the human heart have?", "four", ["two", "three", "six"]),
    ("water-boils", "At how many degrees Celsius does water boil at sea level?", "100", ["50", "80", "150"]),
    ("fastest-land-animal", "What is the fastest land animal?", "cheetah", ["horse", "lion", "greyhound"]),
    ("largest-animal", "What is the largest animal that has ever lived?", "blue whale",
     ["African elephant", "great white shark", "giant squid"]),
    ("tallest-animal", "What is the tallest animal in the world?", "giraffe", ["elephant", "camel", "moose"]),
    ("largest-bird", "What is the largest living bird?", "ostrich", ["eagle", "albatross", "condor"]),
    ("longest-bone", "What is the longest bone in the human body?", "femur", ["humerus", "tibia", "spine"]),
    ("baby-kangaroo", "What is a baby kangaroo called?", "joey", ["kid", "calf", "cub"]),
    ("frog-young", "What are young frogs called before they grow legs?", "tadpoles", ["larvae", "pups", "chicks"]),
    ("eucalyptus-eater", "Which Australian animal eats mostly eucalyptus leaves?", "koala",
     ["wombat", "platypus", "dingo"]),
    ("hump-animal", "Which desert animal stores fat in its hump?", "camel", ["horse", "goat", "donkey"]),
    ("largest-ocean", "What is the largest ocean on Earth?", "Pacific Ocean",
     ["Atlantic Ocean", "Indian Ocean", "Arctic Ocean"]),
    ("ocean-europe-america", "Which ocean lies between Europe and North America?", "Atlantic Ocean",
     ["Pacific Ocean", "Indian Ocean", "Southern Ocean"]),
    ("africa-river", "What is the longest river in Africa?", "Nile", ["Congo", "Niger", "Zambezi"]),
    ("south-america-river", "What is the largest river in South America?", "Amazon",
     ["Orinoco", "Parana", "Magdalena"]),
    ("tallest-mountain", "What is the tallest mountain in the world?", "Mount Everest",
     ["K2", "Kilimanjaro", "Mont Blanc"]),
    ("africa-mountain", "What is the tallest mountain in Africa?", "Kilimanjaro",
     ["Mount Kenya", "Mount Everest", "Mont Blanc"]),
    ("hot-desert", "What is the largest hot desert in the world?", "Sahara", ["Gobi", "Kalahari", "Mojave"]),
    ("largest-island", "What is the largest island in the world?", "Greenland",
     ["Madagascar", "Borneo", "Iceland"]),
    ("smallest-country", "What is the smallest country in the world?", "Vatican City",
     ["Monaco", "Malta", "Luxembourg"]),
    ("largest-lake", "What is the largest lake in the world by area?", "Caspian Sea",
     ["Lake Superior", "Lake Victoria", "Lake Baikal"]),
    ("deepest-trench", "What is the deepest known part of the ocean?", "Mariana Trench",
     ["Puerto Rico Trench", "Java Trench", "Tonga Trench"]),
    ("largest-continent", "What is the largest continent?", "Asia", ["Africa", "Europe", "Oceania"]),
    ("largest-country", "What is the largest country in the world by area?", "Russia",
     ["Canada", "China", "Brazil"]),
    ("statue-liberty", "In which city is the Statue of Liberty?", "New York", ["Boston", "Chicago", "Philadelphia"]),
    ("big-ben", "In which city is Big Ben?", "London", ["Manchester", "Edinburgh", "Dublin"]),
    ("eiffel-tower", "In which city is the Eiffel Tower?", "Paris", ["Lyon", "Brussels", "Geneva"]),
    ("colosseum", "In which city is the Colosseum?", "Rome", ["Athens", "Naples", "Florence"]),
    ("pyramids", "In which country are the Great Pyramids of Giza?", "Egypt", ["Mexico", "Sudan", "Jordan"]),
    ("taj-mahal", "In which country is the Taj Mahal?", "India", ["Nepal", "Iran", "Pakistan"]),
    ("great-wall", "In which country is the Great Wall?", "China", ["Japan", "Mongolia", "Korea"]),
    ("machu-picchu", "In which country is Machu Picchu?", "Peru", ["Chile", "Mexico", "Bolivia"]),
    ("angkor-wat", "In which country is the temple of Angkor Wat?", "Cambodia", ["Thailand", "Laos", "Vietnam"]),
    ("petra", "In which country is the ancient city of Petra?", "Jordan", ["Egypt", "Syria", "Lebanon"]),
    ("kangaroos", "Which country are kangaroos native to?", "Australia", ["Brazil", "Kenya", "Canada"]),
    ("mount-fuji", "In which country is Mount Fuji?", "Japan", ["China", "Korea", "Thailand"]),
    ("olympics-origin", "In which country did the ancient Olympic Games begin?", "Greece",
     ["Italy", "Egypt", "Turkey"]),
    ("emperor-penguins", "On which continent do emperor penguins live?", "Antarctica",
     ["Europe", "Africa", "South America"]),
    ("guacamole", "Which fruit is the main ingredient of guacamole?", "avocado", ["mango", "lime", "tomato"]),
    ("hummus", "Which legume is the main ingredient of hummus?", "chickpeas", ["lentils", "peanuts", "soybeans"]),
    ("tofu-made", "What is tofu made from?", "soybeans", ["rice", "wheat", "potatoes"]),
    ("paella-country", "Which country does paella come from?", "Spain", ["Italy", "Mexico", "Portugal"]),
    ("sushi-country", "Which country does sushi come from?", "Japan", ["China", "Korea", "Vietnam"]),
    ("olympic-rings", "How many rings are on the Olympic flag?", "five", ["four", "six", "seven"]),
    ("chess-squares", "How many squares are on a chessboard?", "64", ["32", "100", "48"]),
    ("piano-keys", "How many keys does a standard piano have?", "88", ["76", "64", "96"]),
]


def _others(pool: list[str], answer: str) -> list[str]:
    return sorted({a for a in pool if a != answer})


def _rows() -> list[tuple[str, str, str, list[str] | None, list[str]]]:
    """(slug, question, answer, distractors or None, the category's answers to draw distractors from)."""
    capitals = [c for _, c in CAPITALS]
    rows = [(f"capital-{c.lower().replace('the ', '').replace(' ', '-')}", f"What is the capital of {c}?", a, None,
             capitals) for c, a in CAPITALS]
    elements = [e for _, e in ELEMENTS]
    rows += [(f"symbol-{s.lower()}", f"Which element has the chemical symbol {s}?", e, None, elements)
             for s, e in ELEMENTS]
    authors = [a for _, a in BOOKS]
    rows += [(f"author-{_slug(w)}", f"Who wrote {w}?", a, None, authors) for w, a in BOOKS]
    for people in (PAINTERS, COMPOSERS, SCIENTISTS, EXPLORERS_LEADERS):
        names = [a for _, _, a in people]
        rows += [(slug, q, a, None, names) for slug, q, a in people]
    currencies = [c for _, c in CURRENCIES]
    rows += [(f"currency-{_slug(c)}", f"What is the currency of {c}?", a, None, currencies) for c, a in CURRENCIES]
    languages = [lang for _, lang in LANGUAGES]
    rows += [(f"language-{_slug(c)}", f"What is the main language spoken in {c}?", a, None, languages)
             for c, a in LANGUAGES]
    rows += [(f"continent-{_slug(c)}", f"On which continent is {c}?", a, None, CONTINENTS) for c, a in COUNTRY_CONTINENT]
    rows += [(slug, q, a, d, []) for slug, q, a, d in FACTS]
    return rows


def _slug(text: str) -> str:
    words = "".join(ch if ch.isalnum() else " " for ch in text.lower()).split()
    return "-".join(w for w in words if w != "the")


def prompt(question: str, options: list[str]) -> str:
    return f"{question} Choose from: {', '.join(options[:-1])} or {options[-1]}."


def knowledge_suite() -> list[dict]:
    items = []
    for n, (slug, question, answer, distractors, pool) in enumerate(_rows()):
        item_id = f"kn-{slug}"
        r = rng(item_id)
        options = list(distractors) if distractors is not None else r.sample(_others(pool, answer), 3)
        r.shuffle(options)
        # The right option takes each place in turn, so no place is right more often than another.
        options.insert(n % 4, answer)
        assert len(set(options)) == 4, item_id
        items.append({"id": item_id, "capability": "knowledge", "prompt": prompt(question, options),
                      "reference": answer, "check": {"type": "choice", "options": options, "reference": answer},
                      "split": knowledge_split(item_id)})
    return items
