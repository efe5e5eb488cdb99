"""The baseline the submission benchmark compares against: the least a Django view can do to persist
one row. Routed only when DIGIGOV_BENCH=1 (bench/bench_submit.py)."""

from django.db import connection, transaction
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST


@csrf_exempt
@require_POST
def insert_one_row(request):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_baseline_row (body) VALUES (%s)", [request.body.decode()[:1000]])
    return JsonResponse({"ok": True}, status=201)
