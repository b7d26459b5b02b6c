"""The garment spec and the fashion taxonomy: the pure core every feature shares
(DESIGN.md §2). Nothing here touches a server, a database or a network."""
