subroutine spmv(nrows, rowptr, col, val, x, y)
  implicit none
  integer, intent(in) :: nrows, rowptr(nrows + 1), col(*)
  double precision, intent(in) :: val(*), x(*)
  double precision, intent(out) :: y(nrows)
  integer :: i, p
  double precision :: s
  !$omp parallel do private(p, s)
  do i = 1, nrows
    s = 0d0
    do p = rowptr(i), rowptr(i + 1) - 1
      s = s + val(p) * x(col(p))
    end do
    y(i) = s
  end do
  !$omp end parallel do
end subroutine spmv
