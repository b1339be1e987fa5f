#!/usr/bin/env escript
%% -*- erlang -*-
%%! +P 1048576 -noshell
%%
%% The BEAM baseline of benchmarks/run.py: the same figures, measured the
%% same way as the Python side (warm-up, repeated samples, median and p99),
%% printed as one JSON object per line on stdout.
%%
%%   escript beam_baseline.escript FIGURE [KEY=VALUE ...]
%%
%% FIGURE and its options (all counts are integers):
%%   call     calls=20000 warmup=1000
%%            gen_server:call round trip (the primary baseline: actors.call is
%%            a GenServer call) and a raw send/receive pair, per call, in us.
%%   spawn    n=20000 warmup=500 batches=5
%%            spawn_monitor of a process that exits at once, then wait for
%%            its DOWN; also a process stopped by a message, and
%%            gen_server:start + gen_server:stop; us per process, median
%%            over batches.
%%   fanout   sizes=1000,10000,100000 deliveries=1000000 repeats=3
%%            one sender, N fresh receivers each expecting M = deliveries/N
%%            messages; the clock runs from the first send until every
%%            receiver has reported that it got all M. Each run waits for
%%            the previous run's receivers to exit. "direct" sends to a
%%            list of pids; "pg" joins the receivers to a pg group and does
%%            pg:get_members + send for every message. Deliveries/s, median
%%            over repeats (fresh receivers each time).
%%   memory   n=100000
%%            a minimal idle process (receive stop -> ok end):
%%            erlang:process_info(P, memory), and the growth of
%%            erlang:memory(total), erlang:memory(processes) and the VM's RSS
%%            divided by n.
-module(beam_baseline).
-mode(compile).
-behaviour(gen_server).

-export([main/1]).
-export([init/1, handle_call/3, handle_cast/2]).

%% ---------------------------------------------------------------------------
%% Entry point

main([Figure | Args]) ->
    Opts = parse_opts(Args),
    try
        run(Figure, Opts)
    catch
        Class:Reason:Stack ->
            io:format(standard_error, "beam_baseline ~s failed: ~p:~p~n~p~n",
                      [Figure, Class, Reason, Stack]),
            halt(1)
    end,
    halt(0);
main([]) ->
    io:format(standard_error, "usage: beam_baseline.escript call|spawn|fanout|memory [k=v ...]~n", []),
    halt(2).

run("call", Opts) -> call(Opts);
run("spawn", Opts) -> spawn_exit(Opts);
run("fanout", Opts) -> fanout(Opts);
run("memory", Opts) -> memory(Opts);
run(Other, _) ->
    io:format(standard_error, "unknown figure ~s~n", [Other]),
    halt(2).

parse_opts(Args) ->
    maps:from_list([parse_opt(A) || A <- Args]).

parse_opt(Arg) ->
    [K, V] = string:split(Arg, "="),
    Value = case string:split(V, ",", all) of
                [One] -> list_to_integer(One);
                Many -> [list_to_integer(X) || X <- Many]
            end,
    {list_to_atom(K), Value}.

opt(Key, Opts, Default) -> maps:get(Key, Opts, Default).

%% ---------------------------------------------------------------------------
%% Request/reply

%% The gen_server: replies with the request (the Python Echo actor).
init([]) -> {ok, nostate}.
handle_call(Request, _From, State) -> {reply, Request, State}.
handle_cast(_Request, State) -> {noreply, State}.

echo_loop() ->
    receive
        {From, Msg} -> From ! {self(), Msg}, echo_loop();
        stop -> ok
    end.

call(Opts) ->
    N = opt(calls, Opts, 20000),
    Warmup = opt(warmup, Opts, 1000),
    {ok, Server} = gen_server:start(?MODULE, [], []),
    [gen_server:call(Server, I) || I <- lists:seq(1, Warmup)],
    GenSamples = time_each(fun(I) -> gen_server:call(Server, I) end, N),
    ok = gen_server:stop(Server),
    Echo = spawn(fun echo_loop/0),
    Raw = fun(I) ->
                  Echo ! {self(), I},
                  receive {Echo, I} -> ok end
          end,
    [Raw(I) || I <- lists:seq(1, Warmup)],
    RawSamples = time_each(Raw, N),
    Echo ! stop,
    emit_latency("call_gen_server", GenSamples),
    emit_latency("call_send_receive", RawSamples).

time_each(Fun, N) ->
    time_each(Fun, 1, N, []).

time_each(_Fun, I, N, Acc) when I > N -> Acc;
time_each(Fun, I, N, Acc) ->
    T0 = erlang:monotonic_time(nanosecond),
    Fun(I),
    T1 = erlang:monotonic_time(nanosecond),
    time_each(Fun, I + 1, N, [T1 - T0 | Acc]).

emit_latency(Name, SamplesNs) ->
    {Median, P99} = median_p99(SamplesNs),
    emit([{figure, list_to_binary(Name)}, {median_us, Median / 1000}, {p99_us, P99 / 1000},
          {samples, length(SamplesNs)}]).

%% ---------------------------------------------------------------------------
%% Spawn + exit

spawn_exit(Opts) ->
    N = opt(n, Opts, 20000),
    Warmup = opt(warmup, Opts, 500),
    Batches = opt(batches, Opts, 5),
    Exit = fun() ->
                   {P, R} = spawn_monitor(fun() -> ok end),
                   receive {'DOWN', R, process, P, _} -> ok end
           end,
    Stopped = fun() ->
                      {P, R} = spawn_monitor(fun() -> receive stop -> ok end end),
                      P ! stop,
                      receive {'DOWN', R, process, P, _} -> ok end
              end,
    GenServer = fun() ->
                        {ok, P} = gen_server:start(?MODULE, [], []),
                        ok = gen_server:stop(P)
                end,
    emit_per_process("spawn_exit", Exit, N, Warmup, Batches),
    emit_per_process("spawn_stop_message", Stopped, N, Warmup, Batches),
    emit_per_process("gen_server_start_stop", GenServer, N, Warmup, Batches).

emit_per_process(Name, Fun, N, Warmup, Batches) ->
    repeat(Fun, Warmup),
    PerBatch = [begin
                    T0 = erlang:monotonic_time(nanosecond),
                    repeat(Fun, N),
                    (erlang:monotonic_time(nanosecond) - T0) / N
                end || _ <- lists:seq(1, Batches)],
    {Median, _} = median_p99(PerBatch),
    emit([{figure, list_to_binary(Name)}, {us_per_process, Median / 1000}, {processes, N},
          {batches, Batches}]).

repeat(_Fun, 0) -> ok;
repeat(Fun, K) -> Fun(), repeat(Fun, K - 1).

%% ---------------------------------------------------------------------------
%% Fan-out

%% A receiver reports once it got all its messages, then waits to be stopped:
%% it must not exit while it is a pg member (see fanout_once/3).
receiver(Parent, Expected) ->
    receive go -> receiver_loop(Parent, Expected) end.

receiver_loop(Parent, 0) ->
    Parent ! done,
    receive stop -> ok end;
receiver_loop(Parent, Left) ->
    receive
        {tick, _} -> receiver_loop(Parent, Left - 1)
    end.

fanout(Opts) ->
    Sizes = as_list(opt(sizes, Opts, [1000, 10000, 100000])),
    Deliveries = opt(deliveries, Opts, 1000000),
    Repeats = opt(repeats, Opts, 3),
    [begin
         M = max(1, Deliveries div N),
         Direct = [fanout_once(N, M, direct) || _ <- lists:seq(1, Repeats)],
         Pg = [fanout_once(N, M, pg) || _ <- lists:seq(1, Repeats)],
         emit_fanout("fanout_direct", N, M, Direct),
         emit_fanout("fanout_pg", N, M, Pg)
     end || N <- Sizes],
    ok.

as_list(L) when is_list(L) -> L;
as_list(X) -> [X].

emit_fanout(Name, N, M, Rates) ->
    {Median, _} = median_p99(Rates),
    emit([{figure, list_to_binary(Name)}, {subscribers, N}, {messages, M},
          {deliveries_per_s, Median}, {repeats, length(Rates)},
          {samples, Rates}]).

%% One run with fresh receivers. In pg mode the receivers join a group of a
%% scope started for this run, and the scope is killed before the receivers
%% exit: OTP 25's pg removes an exited member from its group's member list
%% one at a time, which is quadratic at 100,000 members and would measure
%% pg's cleanup instead of the delivery.
fanout_once(N, M, Mode) ->
    Self = self(),
    Monitored = [spawn_monitor(fun() -> receiver(Self, M) end) || _ <- lists:seq(1, N)],
    Pids = [P || {P, _} <- Monitored],
    [P ! go || P <- Pids],
    Scope = case Mode of
                pg ->
                    Name = list_to_atom("beam_baseline_" ++ integer_to_list(erlang:unique_integer([positive]))),
                    {ok, ScopePid} = pg:start(Name),
                    ok = pg:join(Name, bench, Pids),
                    {Name, ScopePid};
                direct -> none
            end,
    garbage_collect(),
    T0 = erlang:monotonic_time(nanosecond),
    case Scope of
        none -> send_all(Pids, M);
        {ScopeName, _} -> pg_send(ScopeName, M)
    end,
    wait_done(N),
    Elapsed = erlang:monotonic_time(nanosecond) - T0,
    case Scope of
        none -> ok;
        {_, Pid} ->
            Ref = monitor(process, Pid),
            exit(Pid, kill),
            receive {'DOWN', Ref, process, Pid, _} -> ok end
    end,
    %% Wait until every receiver has exited: the next run must not share the
    %% schedulers with this run's teardown.
    [P ! stop || P <- Pids],
    [receive {'DOWN', R, process, P, _} -> ok end || {P, R} <- Monitored],
    N * M / (Elapsed / 1.0e9).

send_all(_Pids, 0) -> ok;
send_all(Pids, J) ->
    Msg = {tick, J},
    send_each(Pids, Msg),
    send_all(Pids, J - 1).

send_each([], _Msg) -> ok;
send_each([P | Rest], Msg) -> P ! Msg, send_each(Rest, Msg).

pg_send(_Scope, 0) -> ok;
pg_send(Scope, J) ->
    send_each(pg:get_members(Scope, bench), {tick, J}),
    pg_send(Scope, J - 1).

wait_done(0) -> ok;
wait_done(K) -> receive done -> wait_done(K - 1) end.

%% ---------------------------------------------------------------------------
%% Memory of a minimal idle process

memory(Opts) ->
    N = opt(n, Opts, 100000),
    Idle = fun() -> receive stop -> ok end end,
    One = spawn(Idle),
    {memory, PerProcess} = erlang:process_info(One, memory),
    One ! stop,
    garbage_collect(),
    Total0 = erlang:memory(total),
    Procs0 = erlang:memory(processes),
    Rss0 = rss_bytes(),
    Pids = [spawn(Idle) || _ <- lists:seq(1, N)],
    garbage_collect(),
    Total1 = erlang:memory(total),
    Procs1 = erlang:memory(processes),
    Rss1 = rss_bytes(),
    emit([{figure, <<"memory_idle_process">>}, {process_info_bytes, PerProcess},
          {total_delta_bytes_per_process, (Total1 - Total0) / N},
          {processes_delta_bytes_per_process, (Procs1 - Procs0) / N},
          {rss_delta_bytes_per_process, rss_delta(Rss0, Rss1, N)},
          {processes, N}]),
    [P ! stop || P <- Pids],
    ok.

rss_bytes() ->
    case file:read_file("/proc/self/status") of
        {ok, Status} ->
            case re:run(Status, "VmRSS:\\s+([0-9]+) kB", [{capture, all_but_first, list}]) of
                {match, [Kb]} -> list_to_integer(Kb) * 1024;
                nomatch -> null
            end;
        {error, _} -> null
    end.

rss_delta(null, _, _) -> null;
rss_delta(_, null, _) -> null;
rss_delta(Before, After, N) -> (After - Before) / N.

%% ---------------------------------------------------------------------------
%% Statistics and output

%% The median and the 99th percentile, picked the way benchmarks/_harness.py
%% picks them (statistics.median; index floor(len * 0.99)).
median_p99(Samples) ->
    Sorted = lists:sort(Samples),
    Len = length(Sorted),
    Median = case Len rem 2 of
                 1 -> lists:nth(Len div 2 + 1, Sorted);
                 0 -> (lists:nth(Len div 2, Sorted) + lists:nth(Len div 2 + 1, Sorted)) / 2
             end,
    P99 = lists:nth(min(Len, trunc(Len * 0.99) + 1), Sorted),
    {Median, P99}.

emit(Pairs) ->
    Fields = [[$", atom_to_list(K), "\": ", json(V)] || {K, V} <- Pairs],
    io:put_chars([${, lists:join(", ", Fields), "}\n"]).

json(null) -> "null";
json(V) when is_integer(V) -> integer_to_list(V);
json(V) when is_float(V) -> float_to_list(V, [{decimals, 6}, compact]);
json(V) when is_binary(V) -> [$", V, $"];
json(V) when is_list(V) -> [$[, lists:join(", ", [json(X) || X <- V]), $]].
