print("wamp-router")
