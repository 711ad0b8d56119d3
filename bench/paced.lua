-- wrk: each connection waits a second between its requests, as a scraper on an interval does
function delay()
  return 1000
end
