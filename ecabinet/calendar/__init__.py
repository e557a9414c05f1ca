"""Each user's private iCalendar feed: the meetings they take part in, ballot deadlines, and whatever
else a domain provides (`service.EventProvider`, declared in `create_app`)."""
