"""`proactive ui`: a small local web app for the person: an inbox of proposals waiting for an
answer, and an annotation tool whose rows train the models. Server-rendered HTML with a little
JavaScript, served by Starlette and uvicorn on loopback; no build step, no internet."""
