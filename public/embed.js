// Murmur's comment thread under any page of a site allowed to embed it:
//   <div data-murmur-thread></div>
//   <script async src="https://murmur.example/embed.js"></script>
// Each [data-murmur-thread] becomes a frame of Murmur's /embed/thread page for this page's
// thread: the page named by the attribute, else its canonical URL, else its address without
// query and fragment. The frame grows with its comments: it posts its height to this page,
// and only messages from Murmur's origin, sent by one of these frames, are heeded.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) return;
  var murmur = new URL(script.src).origin;
  var frames = [];

  function pageUrl(div) {
    var named = div.getAttribute("data-murmur-thread");
    if (named) return new URL(named, location.href).href;
    var canonical = document.querySelector('link[rel="canonical"]');
    if (canonical && canonical.href) return canonical.href;
    return location.origin + location.pathname;
  }

  function embed(div) {
    var src = new URL("/embed/thread", murmur);
    src.searchParams.set("url", pageUrl(div));
    src.searchParams.set("title", document.title);
    src.searchParams.set("parent", location.origin);
    var frame = document.createElement("iframe");
    frame.src = src.href;
    frame.title = "Comments";
    frame.setAttribute("scrolling", "no");
    frame.style.cssText = "display:block;width:100%;height:320px;border:0;color-scheme:normal";
    div.replaceChildren(frame);
    frames.push(frame);
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== murmur) return;
    var height = event.data && event.data.murmurHeight;
    if (typeof height !== "number" || !(height > 0) || height > 100000) return;
    frames.forEach(function (frame) {
      if (frame.contentWindow === event.source) frame.style.height = Math.ceil(height) + "px";
    });
  });

  document.querySelectorAll("[data-murmur-thread]").forEach(embed);
})();
