from django import template

register = template.Library()

# Emoticons of the source site, by the word its machine translation left.
EMOTICONS = {
    "smile": "🙂",
    "laughing": "😆",
    "wink": "😉",
    "sad": "🙁",
    "crying": "😢",
    "angry": "😠",
    "negative": "👎",
    "good": "👍",
    "fellow": "🤝",
    "lol": "😂",
    "bully": "😈",
    "belay": "🤦",
    "request": "🙏",
    "wassat": "😳",
    "hi": "👋",
    "drinks": "🍻",
    "tongue": "😛",
    "am": "😋",
    "yes": "✅",
    "no": "❌",
    "what": "❓",
    "recourse": "🤷",
    "stop": "✋",
}


@register.filter
def emoticon(word: str) -> str:
    return EMOTICONS.get(word, "💬")


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
