// The seller's recording page: record with the microphone (or pick a file), listen back, send,
// then follow the processing until the telephone version is ready or rejected with a reason.
// Plain JS, no dependencies. Every visible string comes from the page (#studio-i18n).
(function () {
  "use strict";

  var root = document.getElementById("studio");
  if (!root) return;

  var T = JSON.parse(document.getElementById("studio-i18n").textContent);
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var uploadUrl = root.getAttribute("data-upload-url");
  var stepId = root.getAttribute("data-step-id") || ""; // the journey step's message, if chosen
  var maxSeconds = parseFloat(root.getAttribute("data-max-seconds")) || 60;
  var lang = document.documentElement.lang || "fr";

  function $(id) { return document.getElementById(id); }
  var el = {
    record: $("record"), stop: $("stop"), timer: $("timer"), level: $("level"),
    levelBar: $("level-bar"), take: $("take"), takeAudio: $("take-audio"),
    sendTake: $("send-take"), rerecord: $("rerecord"), noRecorder: $("no-recorder"),
    file: $("file"), sendFile: $("send-file"), result: $("result"),
    resultTitle: $("result-title"), resultAudio: $("result-audio"),
    resultDuration: $("result-duration"), status: $("status"), alert: $("alert"),
  };

  var MIME_TYPES = ["audio/webm;codecs=opus", "audio/mp4", "audio/ogg;codecs=opus"];
  var POLL_MS = 1000;
  var MAX_POLLS = 600; // ten minutes: past that, the seller comes back later

  var rec = null; // {stream, recorder, chunks, audioContext, started, tick, frame}
  var take = null; // {blob, url, name}
  var busy = false;

  // --- messages -----------------------------------------------------------------------------

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) {
      return key in values ? values[key] : all;
    });
  }

  function say(text) { el.status.textContent = text || ""; }

  function warn(text) {
    // Emptied first so that the same message twice is announced twice.
    el.alert.textContent = "";
    if (text) window.setTimeout(function () { el.alert.textContent = text; }, 50);
  }

  function seconds(value) {
    return Number(value).toLocaleString(lang, { maximumFractionDigits: 1 });
  }

  function clock(total) {
    var s = Math.floor(total);
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  // --- recording ----------------------------------------------------------------------------

  function canRecord() {
    return !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia &&
              window.MediaRecorder);
  }

  function pickMimeType() {
    if (typeof MediaRecorder.isTypeSupported !== "function") return "";
    for (var i = 0; i < MIME_TYPES.length; i++) {
      if (MediaRecorder.isTypeSupported(MIME_TYPES[i])) return MIME_TYPES[i];
    }
    return "";
  }

  function extensionFor(mimeType) {
    if (mimeType.indexOf("webm") >= 0) return "webm";
    if (mimeType.indexOf("mp4") >= 0 || mimeType.indexOf("aac") >= 0) return "m4a";
    if (mimeType.indexOf("ogg") >= 0) return "ogg";
    return "audio";
  }

  function setLevel(percent) {
    var value = Math.max(0, Math.min(100, Math.round(percent)));
    el.level.setAttribute("aria-valuenow", String(value));
    el.levelBar.style.width = value + "%";
    var peak = parseInt(el.level.getAttribute("data-peak"), 10) || 0;
    if (value > peak) el.level.setAttribute("data-peak", String(value));
  }

  function newAudioContext() {
    // Made inside the click: iOS Safari only lets audio start from a user gesture.
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return null;
    try {
      var context = new Context();
      if (context.resume) context.resume().catch(function () {});
      return context;
    } catch (error) {
      return null;
    }
  }

  function startMeter(state) {
    if (!state.audioContext) return;
    try {
      var source = state.audioContext.createMediaStreamSource(state.stream);
      var analyser = state.audioContext.createAnalyser();
      analyser.fftSize = 1024;
      source.connect(analyser);
      var samples = new Float32Array(analyser.fftSize);
      var draw = function () {
        if (analyser.getFloatTimeDomainData) {
          analyser.getFloatTimeDomainData(samples);
        } else {
          var bytes = new Uint8Array(analyser.fftSize);
          analyser.getByteTimeDomainData(bytes);
          for (var j = 0; j < bytes.length; j++) samples[j] = (bytes[j] - 128) / 128;
        }
        var sum = 0;
        for (var i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
        var rms = Math.sqrt(sum / samples.length);
        var db = rms > 0 ? 20 * Math.log10(rms) : -100;
        setLevel((db + 60) / 60 * 100); // -60 dBFS .. 0 dBFS
        state.frame = window.requestAnimationFrame(draw);
      };
      draw();
    } catch (error) {
      // The meter is a help; recording works without it.
    }
  }

  function stopMeter(state) {
    if (state.frame) window.cancelAnimationFrame(state.frame);
    if (state.audioContext) state.audioContext.close().catch(function () {});
    setLevel(0);
  }

  function discardTake() {
    if (take) URL.revokeObjectURL(take.url);
    take = null;
    el.takeAudio.removeAttribute("src");
    el.take.hidden = true;
    el.timer.textContent = clock(0);
  }

  function startRecording() {
    if (!canRecord()) {
      el.noRecorder.hidden = false;
      warn(T.no_recorder);
      return;
    }
    if (rec || busy) return;
    warn("");
    discardTake();
    el.record.disabled = true;
    var audioContext = newAudioContext();
    navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: false },
    }).then(function (stream) {
      var mimeType = pickMimeType();
      var recorder;
      try {
        recorder = mimeType ? new MediaRecorder(stream, { mimeType: mimeType })
                            : new MediaRecorder(stream);
      } catch (error) {
        recorder = new MediaRecorder(stream);
      }
      var state = {
        stream: stream, recorder: recorder, chunks: [], started: Date.now(),
        audioContext: audioContext,
      };
      rec = state;
      recorder.addEventListener("dataavailable", function (event) {
        if (event.data && event.data.size) state.chunks.push(event.data);
      });
      recorder.addEventListener("stop", function () { finishRecording(state); });
      recorder.start(250);
      el.level.setAttribute("data-peak", "0");
      startMeter(state);
      state.tick = window.setInterval(function () {
        var elapsed = (Date.now() - state.started) / 1000;
        el.timer.textContent = clock(elapsed);
        if (elapsed >= maxSeconds) {
          state.hitMax = true;
          stopRecording();
        }
      }, 200);
      el.timer.textContent = clock(0);
      el.record.hidden = true;
      el.record.disabled = false;
      el.stop.hidden = false;
      el.stop.focus();
      root.classList.add("is-recording");
      say(T.recording);
    }).catch(function () {
      if (audioContext) audioContext.close().catch(function () {});
      el.record.disabled = false;
      warn(T.mic_denied);
    });
  }

  function stopRecording() {
    if (!rec) return;
    var state = rec;
    window.clearInterval(state.tick);
    if (state.recorder.state !== "inactive") state.recorder.stop();
    else finishRecording(state);
  }

  function finishRecording(state) {
    if (rec !== state) return;
    rec = null;
    window.clearInterval(state.tick);
    stopMeter(state);
    state.stream.getTracks().forEach(function (track) { track.stop(); });
    root.classList.remove("is-recording");
    el.stop.hidden = true;
    el.record.hidden = false;
    var type = state.recorder.mimeType || (state.chunks[0] && state.chunks[0].type) || "";
    var blob = new Blob(state.chunks, type ? { type: type } : {});
    take = { blob: blob, url: URL.createObjectURL(blob), name: "message." + extensionFor(type) };
    el.takeAudio.src = take.url;
    el.take.hidden = false;
    say(state.hitMax ? T.max_reached + " " + T.recorded : T.recorded);
    el.sendTake.focus();
  }

  // --- sending and following the processing ---------------------------------------------------

  function setBusy(value) {
    busy = value;
    el.record.disabled = value;
    el.sendTake.disabled = value;
    el.rerecord.disabled = value;
    el.sendFile.disabled = value || !(el.file.files && el.file.files.length);
    root.setAttribute("aria-busy", value ? "true" : "false");
  }

  function readJson(response) {
    return response.json().catch(function () { return null; });
  }

  function send(blob, name) {
    if (busy) return;
    warn("");
    el.result.hidden = true;
    root.setAttribute("data-state", "uploading");
    setBusy(true);
    say(T.uploading);
    var form = new FormData();
    form.append("file", blob, name);
    if (stepId) form.append("step_id", stepId);
    else form.append("purpose", "voicemail");
    fetch(uploadUrl, {
      method: "POST",
      body: form,
      credentials: "same-origin",
      // The page sends no Referer (its URL is its key), but over HTTPS the CSRF check wants a
      // same-origin one on a POST: this request names our origin alone, never the page's path.
      referrerPolicy: "strict-origin",
      headers: { "X-CSRFToken": csrfToken, Accept: "application/json" },
    }).then(function (response) {
      return readJson(response).then(function (body) {
        if (response.status === 202 && body && body.id) {
          say(T.processing);
          poll(body.id, 0, 0);
        } else {
          failed(body);
        }
      });
    }).catch(function () {
      failed(null, T.network);
    });
  }

  function failed(body, fallback) {
    root.setAttribute("data-state", "error");
    setBusy(false);
    say("");
    var message = body && body.error && body.error.message;
    warn(message || fallback || T.server);
  }

  function poll(id, failures, count) {
    if (count >= MAX_POLLS) {
      root.setAttribute("data-state", "slow");
      setBusy(false);
      say(T.slow);
      return;
    }
    window.setTimeout(function () {
      fetch(uploadUrl + "/" + encodeURIComponent(id), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        cache: "no-store",
      }).then(function (response) {
        return readJson(response).then(function (body) {
          if (!response.ok || !body) {
            if (response.status >= 500 && failures < 5) return poll(id, failures + 1, count + 1);
            return failed(body);
          }
          show(body, count);
        });
      }).catch(function () {
        if (failures < 10) poll(id, failures + 1, count + 1);
        else failed(null, T.network);
      });
    }, POLL_MS);
  }

  function show(state, count) {
    root.setAttribute("data-state", state.status);
    if (state.status === "ready") {
      setBusy(false);
      discardTake();
      el.file.value = "";
      el.sendFile.disabled = true;
      if (state.preview_url) el.resultAudio.src = state.preview_url;
      el.resultDuration.textContent = state.duration_seconds
        ? format(T.duration, { seconds: seconds(state.duration_seconds) }) : "";
      el.result.hidden = false;
      var previous = document.getElementById("current");
      if (previous) previous.hidden = true; // the new message replaced it
      var listed = document.querySelector('.message[aria-current="true"] .message-state');
      if (listed) {
        listed.textContent = T.recorded_state;
        listed.setAttribute("data-recorded", "yes");
      }
      say(T.ready);
      el.resultTitle.focus();
    } else if (state.status === "rejected") {
      setBusy(false);
      say(T.rejected);
      warn((state.rejection && state.rejection.message) || T.server);
      el.record.focus();
    } else {
      say(T.processing);
      poll(state.id, 0, count + 1);
    }
  }

  // --- wiring -------------------------------------------------------------------------------

  if (!canRecord()) el.noRecorder.hidden = false;

  el.record.addEventListener("click", startRecording);
  el.stop.addEventListener("click", stopRecording);
  el.rerecord.addEventListener("click", function () {
    discardTake();
    startRecording();
  });
  el.sendTake.addEventListener("click", function () {
    if (take) send(take.blob, take.name);
  });
  el.file.addEventListener("change", function () {
    var file = el.file.files && el.file.files[0];
    el.sendFile.disabled = busy || !file;
    warn("");
    if (file) say(format(T.file_chosen, { name: file.name }));
  });
  el.sendFile.addEventListener("click", function () {
    var file = el.file.files && el.file.files[0];
    if (file) send(file, file.name);
  });
  // Leaving mid-recording releases the microphone.
  window.addEventListener("pagehide", function () { if (rec) stopRecording(); });
})();
