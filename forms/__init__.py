"""The web forms adapter (aiohttp): the hosted page, embed.js, the post, CORS and spam defences."""
